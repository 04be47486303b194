package main

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// loopbackAddr returns host:port to dial for a ws:// or wss:// URL whose
// host is a loopback IP or "localhost", and refuses every other URL.
func loopbackAddr(raw string) (addr string, secure bool, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false, fmt.Errorf("target %q: %w", raw, err)
	}
	switch u.Scheme {
	case "ws":
	case "wss":
		secure = true
	default:
		return "", false, fmt.Errorf("target %q: scheme must be ws or wss", raw)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if secure {
			port = "443"
		}
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return "", false, fmt.Errorf("target %q: only loopback IP addresses (127.0.0.0/8, ::1) or localhost may be targeted", raw)
	}
	return net.JoinHostPort(ip.String(), port), secure, nil
}

// parseSources parses a comma-separated list of loopback IPs and ranges
// (127.0.0.2-127.0.0.9) into local addresses to bind, port 0.
func parseSources(spec string) ([]*net.TCPAddr, error) {
	if spec == "" {
		return nil, nil
	}
	var out []*net.TCPAddr
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		from, to, isRange := strings.Cut(part, "-")
		first, err := netip.ParseAddr(from)
		if err != nil {
			return nil, fmt.Errorf("-sources %q: %w", part, err)
		}
		last := first
		if isRange {
			if last, err = netip.ParseAddr(to); err != nil {
				return nil, fmt.Errorf("-sources %q: %w", part, err)
			}
		}
		if last.Less(first) {
			return nil, fmt.Errorf("-sources %q: range runs backwards", part)
		}
		for a := first; ; a = a.Next() {
			if !a.IsLoopback() {
				return nil, fmt.Errorf("-sources %q: %s is not a loopback address", part, a)
			}
			out = append(out, &net.TCPAddr{IP: a.AsSlice()})
			if a == last {
				break
			}
			if len(out) > 256 {
				return nil, fmt.Errorf("-sources %q: more than 256 addresses", part)
			}
		}
	}
	return out, nil
}
