package managercmd

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/wss-operator/wss-operator/internal/probe"
)

// ConnectTo is the --probe-connect-to flag: HOST:PORT=ADDR:PORT rules, like
// curl's --connect-to. A probe whose target is HOST:PORT (the Service's
// <name>.<namespace>.svc:<port>, or a pod's IP:port) dials ADDR:PORT instead;
// SNI, the Host header and certificate verification still use the
// endpoint's URL. For clusters where the operator cannot reach Service
// names, e.g. a manager outside the cluster or a node without kube-proxy.
type ConnectTo map[string]string

// String implements pflag.Value.
func (c *ConnectTo) String() string {
	if c == nil || len(*c) == 0 {
		return ""
	}
	rules := make([]string, 0, len(*c))
	for from, to := range *c {
		rules = append(rules, from+"="+to)
	}
	sort.Strings(rules)
	return strings.Join(rules, ",")
}

// Type implements pflag.Value.
func (c *ConnectTo) Type() string { return "HOST:PORT=ADDR:PORT" }

// Set adds one rule; the flag is repeatable and takes comma-separated rules.
func (c *ConnectTo) Set(v string) error {
	if *c == nil {
		*c = ConnectTo{}
	}
	for _, rule := range strings.Split(v, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(rule), "=")
		if !ok {
			return fmt.Errorf("%q: want HOST:PORT=ADDR:PORT", rule)
		}
		for _, hp := range []string{from, to} {
			if h, p, err := net.SplitHostPort(hp); err != nil || h == "" || p == "" {
				return fmt.Errorf("%q: %q is not HOST:PORT", rule, hp)
			}
		}
		(*c)[strings.ToLower(from)] = to
	}
	return nil
}

// hosts are the host parts of the rules, lower case.
func (c ConnectTo) hosts() map[string]bool {
	hs := map[string]bool{}
	for from := range c {
		h, _, _ := net.SplitHostPort(from)
		hs[h] = true
	}
	return hs
}

// Resolver leaves a host that some rule names unresolved (it "resolves" to
// itself, so Dial sees HOST:PORT and applies the rule) and resolves every
// other host with next (nil: the system resolver). It returns nil when there
// are no rules, so the prober keeps its default.
func (c ConnectTo) Resolver(next func(ctx context.Context, host string) ([]string, error)) func(ctx context.Context, host string) ([]string, error) {
	if len(c) == 0 {
		return next
	}
	if next == nil {
		next = net.DefaultResolver.LookupHost
	}
	hosts := c.hosts()
	return func(ctx context.Context, host string) ([]string, error) {
		if hosts[strings.ToLower(host)] {
			return []string{host}, nil
		}
		return next(ctx, host)
	}
}

// Dial dials the rule's ADDR:PORT for a HOST:PORT a rule names, and addr
// itself otherwise, with next (nil: a net.Dialer). A host that has rules
// for other ports only is an error, never a DNS lookup. It returns nil when
// there are no rules, so the prober keeps its default.
func (c ConnectTo) Dial(next probe.DialFunc) probe.DialFunc {
	if len(c) == 0 {
		return next
	}
	if next == nil {
		next = (&net.Dialer{}).DialContext
	}
	hosts := c.hosts()
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if to, ok := c[strings.ToLower(addr)]; ok {
			return next(ctx, network, to)
		}
		if h, _, err := net.SplitHostPort(addr); err == nil && hosts[strings.ToLower(h)] {
			return nil, fmt.Errorf("--probe-connect-to has rules for %s, but none for %s", h, addr)
		}
		return next(ctx, network, addr)
	}
}
