package main

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/bench/datapath/internal/echo"
	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample is every percentile", ms(7), 99.9, 7 * time.Millisecond},
		{"median of odd count", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"median of even count is the lower middle (nearest rank)", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p99.9 of 1..100 is the maximum", hundred, 99.9, 100 * time.Millisecond},
		{"p100 is the maximum", hundred, 100, 100 * time.Millisecond},
		{"tiny p is the minimum", hundred, 0.001, 1 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(percentile(tc.sorted, tc.p)).To(Equal(tc.want))
		})
	}
}

func TestSummarize(t *testing.T) {
	g := NewWithT(t)
	s := summarize(ms(5, 1, 3, 2, 4))
	g.Expect(s.Samples).To(Equal(5))
	g.Expect(s.P50Ms).To(Equal(3.0))
	g.Expect(s.MaxMs).To(Equal(5.0))
	g.Expect(s.MeanMs).To(Equal(3.0))
	g.Expect(summarize(nil)).To(Equal(benchresult.Latency{}))
}

func TestLoopbackGuard(t *testing.T) {
	for _, tc := range []struct {
		url, addr string
		secure    bool
		ok        bool
	}{
		{"wss://127.0.0.1:8443", "127.0.0.1:8443", true, true},
		{"ws://127.0.0.9:80/echo", "127.0.0.9:80", false, true},
		{"ws://localhost:8080", "127.0.0.1:8080", false, true},
		{"wss://[::1]:8443", "[::1]:8443", true, true},
		{"wss://127.0.0.1", "127.0.0.1:443", true, true},
		{"wss://10.0.0.1:8443", "", false, false},
		{"wss://192.168.1.1:8443", "", false, false},
		{"wss://example.com:443", "", false, false},
		{"wss://0.0.0.0:8443", "", false, false},
		{"https://127.0.0.1:8443", "", false, false},
		{"wss://[::ffff:10.0.0.1]:8443", "", false, false},
	} {
		t.Run(tc.url, func(t *testing.T) {
			g := NewWithT(t)
			addr, secure, err := loopbackAddr(tc.url)
			if !tc.ok {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(addr).To(Equal(tc.addr))
			g.Expect(secure).To(Equal(tc.secure))
		})
	}
}

func TestParseSources(t *testing.T) {
	g := NewWithT(t)
	got, err := parseSources("127.0.0.2-127.0.0.4, 127.0.0.9")
	g.Expect(err).NotTo(HaveOccurred())
	var ips []string
	for _, a := range got {
		ips = append(ips, a.IP.String())
	}
	g.Expect(ips).To(Equal([]string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.9"}))
	for _, bad := range []string{"10.0.0.1", "127.0.0.254-128.0.0.2", "127.0.0.5-127.0.0.2", "nonsense"} {
		_, err := parseSources(bad)
		g.Expect(err).To(HaveOccurred(), bad)
	}
	g.Expect(parseSources("")).To(BeNil())
}

func TestParseRefusesNonLoopback(t *testing.T) {
	g := NewWithT(t)
	_, err := parse([]string{"-url", "wss://10.1.2.3:443"}, os.Stderr)
	g.Expect(err).To(MatchError(ContainSubstring("only loopback")))
	_, err = parse([]string{"-url", "ws://127.0.0.1:1", "-sources", "192.168.0.1"}, os.Stderr)
	g.Expect(err).To(MatchError(ContainSubstring("not a loopback")))
	_, err = parse([]string{"-url", "ws://127.0.0.1:1", "-mode", "flood"}, os.Stderr)
	g.Expect(err).To(HaveOccurred())
}

func TestParseFanoutCountsWholeIntervals(t *testing.T) {
	g := NewWithT(t)
	fanout := []string{"-url", "ws://127.0.0.1:1", "-mode", "fanout", "-count", "10", "-duration", "1s"}
	_, err := parse(append(fanout, "-broadcast-interval", "2s"), os.Stderr)
	g.Expect(err).To(MatchError(ContainSubstring("-broadcast-interval 2s: want positive and at most -duration 1s")))
	_, err = parse(append(fanout, "-broadcast-interval", "0s"), os.Stderr)
	g.Expect(err).To(MatchError(ContainSubstring("-broadcast-interval")))
	_, err = parse(append(fanout, "-broadcast-interval", "1s"), os.Stderr)
	g.Expect(err).NotTo(HaveOccurred())
}

// echoServer serves the benchmark backend on loopback, over TLS when
// config is set, and returns its address.
func echoServer(t *testing.T, config *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	hub := &echo.Hub{Size: 64, Interval: 20 * time.Millisecond}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if config != nil {
				c = tls.Server(c, config)
			}
			go echo.ServeHub(c, hub)
		}
	}()
	return ln.Addr().String()
}

// selfSigned writes a P-256 certificate to dir and returns its file and a
// server config presenting it.
func selfSigned(t *testing.T, dir string) (string, *tls.Config) {
	t.Helper()
	c := certtest.NewSelfSigned(certtest.Options{Hosts: []string{"bench.local"}, NotAfter: time.Now().Add(time.Hour)})
	file := filepath.Join(dir, "tls.crt")
	if err := os.WriteFile(file, c.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return file, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate()}, MinVersion: tls.VersionTLS13}
}

// TestModesAgainstEcho runs every mode briefly against the in-process
// backend and checks that each produces a coherent result. It asserts no
// speed: only that work was done and measured.
func TestModesAgainstEcho(t *testing.T) {
	certFile, serverConf := selfSigned(t, t.TempDir())
	plain, secure := echoServer(t, nil), echoServer(t, serverConf)
	self := []string{"-server-pids", "", "-warmup", "50ms", "-duration", "300ms"}
	for _, tc := range []struct {
		name  string
		args  []string
		check func(g Gomega, r *benchresult.Run)
	}{
		{"handshake over TLS", []string{"-mode", "handshake", "-url", "wss://" + secure, "-concurrency", "2"}, func(g Gomega, r *benchresult.Run) {
			g.Expect(r.Count).To(BeNumerically(">", 0))
			g.Expect(r.TLS.Version).To(Equal("TLS 1.3"))
			g.Expect(r.TLS.Curve).To(Equal("X25519"))
			g.Expect(*r.ResumedFraction).To(Equal(0.0))
			g.Expect(r.Latency.P50Ms).To(BeNumerically("<=", r.Latency.P99Ms))
		}},
		{"resume over TLS", []string{"-mode", "resume", "-url", "wss://" + secure, "-concurrency", "1"}, func(g Gomega, r *benchresult.Run) {
			g.Expect(r.Count).To(BeNumerically(">", 1))
			g.Expect(*r.ResumedFraction).To(BeNumerically(">", 0.5))
		}},
		{"latency 16 KiB plain", []string{"-mode", "latency", "-url", "ws://" + plain, "-size", "16384"}, func(g Gomega, r *benchresult.Run) {
			g.Expect(r.Latency.Samples).To(BeNumerically(">", 0))
			g.Expect(r.Latency.P50Ms).To(BeNumerically(">", 0))
			g.Expect(r.TLS).To(BeNil())
		}},
		{"latency 64 B over TLS, 2 connections", []string{"-mode", "latency", "-url", "wss://" + secure, "-concurrency", "2"}, func(g Gomega, r *benchresult.Run) {
			g.Expect(r.Latency.Samples).To(BeNumerically(">", 0))
		}},
		{"throughput over TLS", []string{"-mode", "throughput", "-url", "wss://" + secure, "-size", "16384", "-concurrency", "2"}, func(g Gomega, r *benchresult.Run) {
			g.Expect(r.Bytes).To(BeNumerically(">", 0))
			g.Expect(r.Bytes % 16384).To(BeZero())
			g.Expect(r.MBPerSec).To(BeNumerically(">", 0))
		}},
		{"count bounds the window", []string{"-mode", "latency", "-url", "ws://" + plain, "-count", "50", "-duration", "20s"}, func(g Gomega, r *benchresult.Run) {
			g.Expect(r.DurationSec).To(BeNumerically("<", 10))
			g.Expect(r.Count).To(BeNumerically(">=", 50))
		}},
		{"idle from two source addresses", []string{"-mode", "idle", "-url", "wss://" + secure, "-count", "20", "-settle", "0s",
			"-sources", "127.0.0.2-127.0.0.3", "-server-pids", strconv.Itoa(os.Getpid())}, func(g Gomega, r *benchresult.Run) {
			g.Expect(r.Idle.Opened).To(Equal(20))
			g.Expect(r.Idle.ServerAfterKiB).To(BeNumerically(">", 0))
		}},
		// 100 connections for a second: enough work that the server's CPU
		// time, read in 10 ms ticks, is not 0 on a busy machine.
		{"fanout over TLS", []string{"-mode", "fanout", "-url", "wss://" + secure, "-count", "100", "-senders", "0.1", "-duration", "1s",
			"-send-interval", "20ms", "-broadcast-interval", "20ms", "-sources", "127.0.0.2-127.0.0.3", "-server-pids", strconv.Itoa(os.Getpid())}, func(g Gomega, r *benchresult.Run) {
			g.Expect(r.Fanout.Opened).To(Equal(100))
			g.Expect(r.Fanout.Senders).To(Equal(10))
			g.Expect(r.Fanout.Broadcasts).To(BeNumerically(">", 100))
			g.Expect(r.Fanout.Echoes).To(BeNumerically(">", 0))
			g.Expect(r.Fanout.DeliveredFraction).To(BeNumerically(">", 0.5))
			g.Expect(r.Fanout.DeliveredFraction).To(BeNumerically("<", 1.2))
			g.Expect(r.Fanout.Promised).To(Equal(int64(100*50)), "100 connections, 50 intervals of 20ms in 1s")
			g.Expect(r.Fanout.DeliveryWindowSec).To(BeNumerically("~", 1, 1e-9))
			g.Expect(r.Fanout.DeliveryGraceSec).To(Equal(3.0), "-settle's default")
			g.Expect(r.Fanout.Delivered).To(BeNumerically("<=", r.Fanout.Promised))
			g.Expect(r.Fanout.DeliveredFraction).To(BeNumerically("<=", 1))
			g.Expect(r.Fanout.ServerCPUMsPer1000).To(BeNumerically(">", 0))
			g.Expect(r.Latency.P50Ms).To(BeNumerically(">", 0))
			g.Expect(r.Fanout.EchoLatency.Samples).To(BeNumerically(">", 0))
		}},
		{"fanout plain without senders", []string{"-mode", "fanout", "-url", "ws://" + plain, "-count", "5", "-senders", "0",
			"-broadcast-interval", "20ms"}, func(g Gomega, r *benchresult.Run) {
			g.Expect(r.Fanout.Senders).To(BeZero())
			g.Expect(r.Fanout.Echoes).To(BeZero())
			g.Expect(r.Fanout.Broadcasts).To(BeNumerically(">", 5))
			g.Expect(r.Fanout.Delivered).To(BeNumerically("<=", r.Fanout.Promised))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			o, err := parse(append(append([]string{"-cert", certFile}, self...), tc.args...), os.Stderr)
			g.Expect(err).NotTo(HaveOccurred())
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := execute(ctx, o)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(r.Errors).To(BeZero(), r.FirstError)
			tc.check(g, r)
		})
	}
}

func TestPinRefusesOtherCertificate(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	_, serverConf := selfSigned(t, dir)
	otherFile, _ := selfSigned(t, t.TempDir())
	addr := echoServer(t, serverConf)
	cl, err := newClient(addr, true, "bench.local", otherFile, "/echo", 5*time.Second)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = cl.dial(context.Background())
	g.Expect(err).To(MatchError(ContainSubstring("not the benchmark certificate")))
	g.Expect(errors.Unwrap(err)).NotTo(BeNil())
}
