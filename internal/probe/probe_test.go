package probe

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{name: "wss", o: Options{URL: "wss://echo.test/ws?x=1"}},
		{name: "ws with port and IPv6", o: Options{URL: "ws://[::1]:8080/"}},
		{name: "upper-case scheme", o: Options{URL: "WSS://echo.test"}},
		{name: "https", o: Options{URL: "https://echo.test"}, wantErr: "scheme must be wss or ws"},
		{name: "no scheme", o: Options{URL: "echo.test:443"}, wantErr: "scheme must be wss or ws"},
		{name: "no host", o: Options{URL: "wss:///path"}, wantErr: "no host"},
		{name: "user info", o: Options{URL: "wss://u:p@echo.test"}, wantErr: "user information"},
		{name: "unparseable", o: Options{URL: "wss://echo.test:port"}, wantErr: "URL"},
		{name: "connect-to without port", o: Options{URL: "wss://echo.test", ConnectTo: "127.0.0.1"}, wantErr: "want host:port"},
		{name: "min above max", o: Options{URL: "wss://echo.test", MinVersion: 0x0304, MaxVersion: 0x0303}, wantErr: "above maximum"},
		{name: "subprotocol not a token", o: Options{URL: "wss://echo.test", Subprotocols: []string{"a b"}}, wantErr: "not an HTTP token"},
		{name: "origin with CRLF", o: Options{URL: "wss://echo.test", Origin: "https://x\r\nX-Evil: 1"}, wantErr: "control characters"},
		{name: "negative timeout", o: Options{URL: "wss://echo.test", Timeout: -time.Second}, wantErr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			err := tt.o.Validate()
			if tt.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}

func TestRunInvalidOptions(t *testing.T) {
	g := NewWithT(t)
	r := Run(context.Background(), Options{URL: "https://echo.test"})
	g.Expect(r.Healthy).To(BeFalse())
	g.Expect(r.Reason).To(Equal(wssv1.ReasonUnknown))
	g.Expect(r.Phase).To(BeEmpty())
	g.Expect(r.Message).To(ContainSubstring("invalid probe options"))
	g.Expect(r.TLS.PeerCertificates).NotTo(BeNil())
}

func TestRunCancelled(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := Run(ctx, Options{URL: "wss://echo.test", ConnectTo: "127.0.0.1:9"})
	g.Expect(r.Reason).To(Equal(wssv1.ReasonUnknown))
	g.Expect(r.Phase).To(Equal(PhaseConnect))
	g.Expect(r.Message).To(ContainSubstring("cancelled"))
}

func TestRequestHasWebSocketHeaders(t *testing.T) {
	g := NewWithT(t)
	tg, err := parseTarget("wss://echo.test:8443/chat?room=1")
	g.Expect(err).NotTo(HaveOccurred())
	p := &attempt{t: tg, o: Options{Origin: "https://app.test", Subprotocols: []string{"a", "b"}}}
	req := string(p.upgradeRequest("dGhlIHNhbXBsZSBub25jZQ=="))
	g.Expect(req).To(HavePrefix("GET /chat?room=1 HTTP/1.1\r\nHost: echo.test:8443\r\n"))
	for _, h := range []string{"Upgrade: websocket\r\n", "Connection: Upgrade\r\n", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
		"Sec-WebSocket-Version: 13\r\n", "Origin: https://app.test\r\n", "Sec-WebSocket-Protocol: a, b\r\n"} {
		g.Expect(req).To(ContainSubstring(h))
	}
	g.Expect(req).To(HaveSuffix("\r\n\r\n"))
}

func TestAdviceCoversEveryProbeReason(t *testing.T) {
	g := NewWithT(t)
	for _, r := range wssv1.ProbeReasons {
		if r == wssv1.ReasonHealthy {
			g.Expect(Advice(r)).To(BeEmpty())
			continue
		}
		g.Expect(Advice(r)).NotTo(BeEmpty(), r)
	}
	g.Expect(Advice("NoSuchReason")).To(BeEmpty())
}
