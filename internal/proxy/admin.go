package proxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyDialTimeout bounds the backend check of /readyz.
const readyDialTimeout = time.Second

// newAdminServer serves /healthz (the process is up), /readyz (a good
// certificate is loaded, the backend accepts TCP, and the proxy is not
// draining), /metrics and /handshakes (handshakes.go) on the plain-HTTP admin listener.
func (p *Proxy) newAdminServer() *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := p.ready(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc(HandshakesPath, p.serveHandshakes)
	mux.Handle("/metrics", promhttp.HandlerFor(p.cfg.Registry, promhttp.HandlerOpts{}))
	return &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
}

// ready is nil when the proxy can serve a client end to end.
func (p *Proxy) ready(ctx context.Context) error {
	if p.stopping.Load() {
		return fmt.Errorf("draining")
	}
	st := p.cert.Load()
	if st == nil {
		return fmt.Errorf("no certificate loaded")
	}
	if now := time.Now(); now.After(st.leaf.NotAfter) {
		return fmt.Errorf("the served certificate expired at %s", st.leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	ctx, cancel := context.WithTimeout(ctx, readyDialTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", p.cfg.Backend)
	if err != nil {
		return fmt.Errorf("backend %s: %w", p.cfg.Backend, err)
	}
	_ = c.Close()
	return nil
}
