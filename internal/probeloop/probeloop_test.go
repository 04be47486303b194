package probeloop

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/certtest"
	"github.com/wss-operator/wss-operator/internal/probe"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

func result(reason, sha string) *probe.Result {
	r := &probe.Result{Reason: reason, Healthy: reason == wssv1.ReasonHealthy, Message: reason + " message"}
	if reason != wssv1.ReasonHealthy {
		r.Phase = "upgrade"
	}
	if sha != "" {
		r.TLS.PeerCertificates = []certinfo.Facts{{SHA256: sha}}
	}
	return r
}

func TestSummarise(t *testing.T) {
	target := Target{ExpectedSHA256: "good"}
	cases := []struct {
		name    string
		service *probe.Result
		pods    []PodResult
		reason  string
		phase   string
	}{
		{"healthy", result(wssv1.ReasonHealthy, "good"), []PodResult{{Name: "a", Reason: wssv1.ReasonHealthy}}, wssv1.ReasonHealthy, ""},
		{"service failure wins", result(wssv1.ReasonBackendUnavailable, "good"), []PodResult{{Name: "a", Reason: wssv1.ReasonStaleCertificate}}, wssv1.ReasonBackendUnavailable, "upgrade"},
		{"service serves a stale leaf", result(wssv1.ReasonHealthy, "old"), nil, wssv1.ReasonStaleCertificate, "tls"},
		{"one pod stale", result(wssv1.ReasonHealthy, "good"), []PodResult{{Name: "a", Reason: wssv1.ReasonHealthy}, {Name: "b", Reason: wssv1.ReasonStaleCertificate}}, wssv1.ReasonStaleCertificate, "tls"},
		{"one pod refuses", result(wssv1.ReasonHealthy, "good"), []PodResult{{Name: "a", Reason: wssv1.ReasonConnectionRefused}}, wssv1.ReasonConnectionRefused, ""},
		{"no service result", nil, nil, wssv1.ReasonUnknown, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			r := Summarise(target, tc.service, tc.pods, time.Unix(1, 0))
			g.Expect(r.Reason).To(Equal(tc.reason))
			g.Expect(r.Phase).To(Equal(tc.phase))
			g.Expect(r.Healthy).To(Equal(tc.reason == wssv1.ReasonHealthy))
		})
	}
}

func TestPodResultMarksStaleLeaf(t *testing.T) {
	g := NewWithT(t)
	pr := podResult(Target{ExpectedSHA256: "good"}, "p", result(wssv1.ReasonUnknownAuthority, "old"))
	g.Expect(pr.Reason).To(Equal(wssv1.ReasonStaleCertificate))
	g.Expect(pr.ServedSHA256).To(Equal("old"))
	pr = podResult(Target{ExpectedSHA256: "good"}, "p", result(wssv1.ReasonHealthy, "good"))
	g.Expect(pr.Reason).To(Equal(wssv1.ReasonHealthy))
}

// echoTLS is a real TLS WebSocket echo server on loopback (wstest.Echo)
// serving a leaf for echo.test.svc; it returns the leaf and the address.
func echoTLS(t *testing.T) (*certtest.Cert, string) {
	t.Helper()
	ca := certtest.NewCA(certtest.Options{})
	leaf := ca.Issue(certtest.Options{Hosts: []string{"echo.test.svc"}})
	srv := httptest.NewUnstartedServer(wstest.Echo{})
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return leaf, srv.Listener.Addr().String()
}

// targets is how many endpoints are scheduled.
func (p *Prober) targets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}

// TestSchedule runs the prober against a real TLS WebSocket echo server on
// loopback: a target is probed at once, results are announced on the
// channel, a changed target is probed again at once, a failing one counts
// consecutive failures, and a forgotten one stops.
func TestSchedule(t *testing.T) {
	g := NewWithT(t)
	leaf, addr := echoTLS(t)

	p := New(Options{
		Resolver: func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil },
		Dial: func(ctx context.Context, network, a string) (net.Conn, error) {
			if a == "127.0.0.1:443" {
				a = addr
			}
			return (&net.Dialer{}).DialContext(ctx, network, a)
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Start(ctx) }()

	key := types.NamespacedName{Namespace: "test", Name: "echo"}
	target := Target{
		Key: key, URL: "wss://echo.test.svc:443/", ServiceAddr: "echo.test.svc:443",
		Roots: leaf.Root().Pool(), RootsID: "ca", ExpectedSHA256: certinfo.Fingerprint(leaf.Cert),
		Interval: time.Hour, Timeout: 5 * time.Second,
	}
	p.Upsert(target)
	g.Eventually(p.events).WithTimeout(20 * time.Second).Should(Receive())
	r, ok := p.Latest(key)
	g.Expect(ok).To(BeTrue())
	g.Expect(r.Reason).To(Equal(wssv1.ReasonHealthy), r.Message)
	g.Expect(r.LastSuccess).NotTo(BeZero())
	// The parsed served chain is not kept (its facts are).
	g.Expect(r.Service.ServedChain).To(BeNil())
	g.Expect(r.Service.TLS.PeerCertificates).To(HaveLen(1))
	g.Expect(r.Service.TLS.PeerCertificates[0].SHA256).To(Equal(certinfo.Fingerprint(leaf.Cert)))

	// The same target again keeps its (hourly) schedule: no new round.
	p.Upsert(target)
	g.Consistently(p.events).WithTimeout(time.Second).ShouldNot(Receive())

	// A target that reads the served certificate (a monitor) keeps the
	// chain; asking for it is a changed target, probed at once.
	target.KeepServedChain = true
	p.Upsert(target)
	g.Eventually(p.events).WithTimeout(20 * time.Second).Should(Receive())
	r, _ = p.Latest(key)
	g.Expect(r.Service.ServedChain).To(HaveLen(1))
	g.Expect(r.Service.ServedChain[0].Raw).To(Equal(leaf.Cert.Raw))
	target.KeepServedChain = false

	// A changed target (a pod that refuses) is probed at once.
	target.Pods = []PodTarget{{Name: "echo-1", Addr: "127.0.0.1:1"}}
	p.Upsert(target)
	g.Eventually(p.events).WithTimeout(20 * time.Second).Should(Receive())
	r, _ = p.Latest(key)
	g.Expect(r.Reason).To(Equal(wssv1.ReasonConnectionRefused))
	g.Expect(r.ConsecutiveFailures).To(Equal(int32(1)))
	g.Expect(r.Pods).To(HaveLen(1))

	p.Forget(key)
	_, ok = p.Latest(key)
	g.Expect(ok).To(BeFalse())
	g.Expect(p.targets()).To(Equal(0))
	cancel()
	g.Eventually(done).WithTimeout(10 * time.Second).Should(Receive(BeNil()))
}

// idleCutter is a TCP relay that cuts a connection after `after` without a
// byte in either direction, as nginx's proxy_read_timeout or a cloud load
// balancer's idle timeout does.
func idleCutter(t *testing.T, backend string, after time.Duration) string {
	t.Helper()
	return wstest.ServeTCP(t, func(c net.Conn) {
		b, err := net.Dial("tcp", backend)
		if err != nil {
			_ = c.Close()
			return
		}
		var last atomic.Int64
		last.Store(time.Now().UnixNano())
		relay := func(dst, src net.Conn) {
			buf := make([]byte, 32<<10)
			for {
				_ = src.SetReadDeadline(time.Now().Add(after / 4))
				n, err := src.Read(buf)
				if n > 0 {
					last.Store(time.Now().UnixNano())
					if _, werr := dst.Write(buf[:n]); werr != nil {
						break
					}
				}
				if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
					if time.Since(time.Unix(0, last.Load())) < after {
						continue
					}
				}
				if err != nil {
					break
				}
			}
			_ = c.Close()
			_ = b.Close()
		}
		go relay(b, c)
		relay(c, b)
	})
}

// TestIdleProbe: with Target.Idle the service probe holds its connection
// silent and pings again. A relay that cuts idle connections is
// IdleTimeout in phase idle; a quiet connection that survives is Healthy.
// The silent wait does not hold a slot of the concurrency limit: with one
// slot, another endpoint is probed while the first one waits.
func TestIdleProbe(t *testing.T) {
	g := NewWithT(t)
	leaf, direct := echoTLS(t)
	cutting := idleCutter(t, direct, 300*time.Millisecond)

	p := New(Options{
		MaxConcurrent: 1,
		Resolver: func(_ context.Context, host string) ([]string, error) {
			if host == "cut.test.svc" {
				return []string{"127.0.0.3"}, nil
			}
			return []string{"127.0.0.1"}, nil
		},
		Dial: func(ctx context.Context, network, a string) (net.Conn, error) {
			switch a {
			case "127.0.0.3:443":
				a = cutting
			case "127.0.0.1:443":
				a = direct
			}
			return (&net.Dialer{}).DialContext(ctx, network, a)
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = p.Start(ctx) }()
	target := func(name, svc string, idle time.Duration) Target {
		return Target{
			Key: types.NamespacedName{Namespace: "test", Name: name}, URL: "wss://echo.test.svc:443/", ServiceAddr: svc,
			Roots: leaf.Root().Pool(), RootsID: "ca", ExpectedSHA256: certinfo.Fingerprint(leaf.Cert),
			Interval: time.Hour, Timeout: 5 * time.Second, Idle: idle,
		}
	}

	// A quiet connection that survives 4s; meanwhile, with the only slot
	// free again, another endpoint is probed.
	long := target("long", "echo.test.svc:443", 4*time.Second)
	p.Upsert(long)
	time.Sleep(500 * time.Millisecond)
	p.Upsert(target("quick", "quick.test.svc:443", 0))
	if r, ok := p.Latest(long.Key); ok {
		t.Fatalf("the 4s idle probe finished early: %s %s: %s", r.Reason, r.Phase, r.Message)
	}

	g.Eventually(func() bool {
		_, ok := p.Latest(types.NamespacedName{Namespace: "test", Name: "quick"})
		return ok
	}).WithTimeout(3*time.Second).Should(BeTrue(), "the idle wait does not hold the only slot")
	g.Eventually(func() string { r, _ := p.Latest(long.Key); return r.Reason }).WithTimeout(10 * time.Second).Should(Equal(wssv1.ReasonHealthy))
	r, _ := p.Latest(long.Key)
	g.Expect(r.Service.Timings.IdleMs).To(BeNumerically(">=", 4000))

	// Through a relay that cuts after 300ms of silence.
	cut := target("cut", "cut.test.svc:443", 2*time.Second)
	p.Upsert(cut)
	g.Eventually(func() string { r, _ := p.Latest(cut.Key); return r.Reason }).WithTimeout(10 * time.Second).Should(Equal(wssv1.ReasonIdleTimeout))
	r, _ = p.Latest(cut.Key)
	g.Expect(r.Phase).To(Equal(wssv1.PhaseIdle))
	g.Expect(r.Message).To(ContainSubstring("idle"))
}
