package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

// fleet is one loopback TLS WebSocket echo server standing in for every
// endpoint's sidecar: it serves each endpoint's own certificate, chosen by
// SNI from the Secrets cert-manager issued.
type fleet struct {
	addr  string
	srv   *http.Server
	mu    sync.RWMutex
	certs map[string]*tls.Certificate // DNS name -> pair
	rv    map[string]string           // Secret name -> resourceVersion loaded
}

func startFleet(ctx context.Context, c client.Reader, namespace string) (*fleet, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fleet{addr: ln.Addr().String(), certs: map[string]*tls.Certificate{}, rv: map[string]string{}}
	mux := http.NewServeMux()
	mux.Handle("/", wstest.Echo{})
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		// The compatibility probes offer old TLS versions on purpose: their
		// refusals are not news.
		ErrorLog: log.New(io.Discard, "", 0), TLSConfig: &tls.Config{
			MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"},
			GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
				f.mu.RLock()
				defer f.mu.RUnlock()
				return f.certs[hello.ServerName], nil
			},
		}}
	go func() { _ = f.srv.ServeTLS(ln, "", "") }()
	go f.load(ctx, c, namespace)
	return f, nil
}

// serves reports whether the stand-in sidecar has name's certificate: a
// real sidecar is not Ready before it has loaded one.
func (f *fleet) serves(name string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.certs[name] != nil
}

// load keeps the certificate map in sync with the endpoints' Secrets, as
// each sidecar's hot reload would.
func (f *fleet) load(ctx context.Context, c client.Reader, namespace string) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		list := &corev1.SecretList{}
		if err := c.List(ctx, list, client.InNamespace(namespace), client.HasLabels{injection.EndpointLabel}); err == nil {
			for i := range list.Items {
				s := &list.Items[i]
				if f.rv[s.Name] == s.ResourceVersion {
					continue
				}
				pair, err := tls.X509KeyPair(s.Data["tls.crt"], s.Data["tls.key"])
				if err != nil {
					continue
				}
				block, _ := pem.Decode(s.Data["tls.crt"])
				leaf, err := x509.ParseCertificate(block.Bytes)
				if err != nil {
					continue
				}
				f.mu.Lock()
				for _, name := range leaf.DNSNames {
					f.certs[name] = &pair
				}
				f.mu.Unlock()
				f.rv[s.Name] = s.ResourceVersion
			}
		}
		select {
		case <-ctx.Done():
			_ = f.srv.Close()
			return
		case <-t.C:
		}
	}
}
