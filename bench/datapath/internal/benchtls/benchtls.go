// Package benchtls is the TLS setup the data-path benchmark's own Go
// programs share: the benchmark's certificate and key (ECDSA P-256), TLS 1.3
// only, X25519 and ALPN http/1.1, as the proxy and every peer are configured
// in bench/datapath/run.sh (Go then negotiates TLS_AES_128_GCM_SHA256 on
// AES-NI hardware).
package benchtls

import (
	"crypto/ecdsa"
	"crypto/tls"
	"errors"
	"fmt"
)

// ServerName is the name in the benchmark certificate.
const ServerName = "bench.local"

// Load reads the benchmark's certificate and key; the key must be ECDSA.
func Load(certFile, keyFile string) (tls.Certificate, *ecdsa.PrivateKey, error) {
	if certFile == "" || keyFile == "" {
		return tls.Certificate{}, nil, errors.New("-cert and -key are required")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("loading %s and %s: %w", certFile, keyFile, err)
	}
	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return tls.Certificate{}, nil, fmt.Errorf("%s: not an ECDSA key", keyFile)
	}
	return cert, key, nil
}

// Server is the server side: cert, TLS 1.3, X25519, http/1.1.
func Server(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates:     []tls.Certificate{cert},
		MinVersion:       tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.X25519},
		NextProtos:       []string{"http/1.1"},
	}
}

// Client is the matching client side. It does not verify the chain: the
// programs using it talk to their own server on loopback.
func Client() *tls.Config {
	return &tls.Config{
		ServerName:         ServerName,
		InsecureSkipVerify: true, //nolint:gosec // our own server on loopback
		MinVersion:         tls.VersionTLS13,
		CurvePreferences:   []tls.CurveID{tls.X25519},
		NextProtos:         []string{"http/1.1"},
	}
}
