package probe_test

import (
	"context"
	"testing"

	"github.com/wss-operator/wss-operator/internal/probe"
)

// BenchmarkRunHealthy measures one whole probe (connect, TLS 1.3 handshake
// with chain verification, upgrade, ping, close) against a loopback echo
// server, and one over plain ws://.
func BenchmarkRunHealthy(b *testing.B) {
	root := newRootCA(b, "Bench Root")
	cert := root.issue(b, certOpts{cn: "echo.test", dnsNames: []string{"echo.test"}})
	for _, bc := range []struct {
		name string
		pc   probeCase
	}{
		{"wss", wssCase(startHTTP(b, serverTLS(cert), echoHandler(nil)), root.cert)},
		{"ws", probeCase{url: "ws://echo.test/", connectTo: startHTTP(b, nil, echoHandler(nil))}},
	} {
		o := bc.pc.options(b)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := probe.Run(context.Background(), o); !r.Healthy {
					b.Fatalf("%s: %s", r.Reason, r.Message)
				}
			}
		})
	}
}
