package proxy

import (
	"context"
	"time"

	"github.com/fsnotify/fsnotify"
)

// reloadDebounce lets a burst of filesystem events (kubelet's ..data swap
// creates, renames and removes several entries) settle into one reload.
const reloadDebounce = 100 * time.Millisecond

// watchCerts reloads the certificate directory when it changes (fsnotify)
// and every ReloadInterval as a safety net, until ctx is done.
func (p *Proxy) watchCerts(ctx context.Context) {
	log := p.log.WithName("certs")
	var events <-chan fsnotify.Event
	var werrs <-chan error
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Error(err, "cannot watch the certificate directory; relying on periodic re-reads", "dir", p.cfg.CertDir, "interval", p.cfg.ReloadInterval)
	} else {
		defer w.Close()
		if err := w.Add(p.cfg.CertDir); err != nil {
			log.Error(err, "cannot watch the certificate directory; relying on periodic re-reads", "dir", p.cfg.CertDir, "interval", p.cfg.ReloadInterval)
		}
		events, werrs = w.Events, w.Errors
	}
	ticker := time.NewTicker(p.cfg.ReloadInterval)
	defer ticker.Stop()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			log.V(2).Info("certificate directory changed", "event", ev.String())
			debounce.Reset(reloadDebounce)
		case err, ok := <-werrs:
			if !ok {
				werrs = nil
				continue
			}
			log.Error(err, "watching the certificate directory", "dir", p.cfg.CertDir)
		case <-debounce.C:
			p.reloadCerts("watch")
		case <-ticker.C:
			if w != nil && len(w.WatchList()) == 0 {
				// The directory was removed and maybe re-created: watch it again.
				_ = w.Add(p.cfg.CertDir)
			}
			p.reloadCerts("interval")
		}
	}
}

// reloadCerts re-reads the certificate directory. A changed and valid pair
// replaces the served one for new handshakes (connections already open keep
// theirs); a changed but invalid one is refused, counted and logged once,
// and the last good pair keeps serving.
func (p *Proxy) reloadCerts(trigger string) {
	p.reloadMu.Lock()
	defer p.reloadMu.Unlock()
	cur := p.cert.Load()
	var failKey string
	files, err := readCertFiles(p.cfg.CertDir, p.baseTLS.ClientAuth != 0)
	var st *certState
	if err == nil {
		d := files.digest()
		if d == cur.digest {
			p.lastReloadFailure = ""
			return
		}
		failKey = string(d[:])
		st, err = buildCertState(p.cfg.CertDir, files, p.baseTLS, time.Now())
	} else {
		failKey = err.Error()
	}
	if err != nil {
		if failKey == p.lastReloadFailure {
			return
		}
		p.lastReloadFailure = failKey
		p.metrics.reloads.WithLabelValues(reloadFailure).Inc()
		p.log.WithName("certs").Error(err, "certificate reload refused; still serving the previous certificate",
			"trigger", trigger, "servingSHA256", cur.sha256, "servingNotAfter", cur.leaf.NotAfter.UTC().Format(time.RFC3339))
		return
	}
	p.lastReloadFailure = ""
	p.cert.Store(st)
	p.metrics.reloads.WithLabelValues(reloadSuccess).Inc()
	p.metrics.expiry.Set(float64(st.leaf.NotAfter.Unix()))
	p.log.WithName("certs").Info("certificate reloaded", "trigger", trigger, "sha256", st.sha256,
		"subject", st.leaf.Subject.String(), "notAfter", st.leaf.NotAfter.UTC().Format(time.RFC3339))
}
