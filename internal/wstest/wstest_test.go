package wstest_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/wstest"
)

func TestEchoAndItsHooks(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var seen [][]byte
	closes := make(chan websocket.StatusCode, 1)
	mux := http.NewServeMux()
	mux.Handle("/plain", wstest.Echo{})
	mux.Handle("/hooked", wstest.Echo{
		Accept:    &websocket.AcceptOptions{Subprotocols: []string{"chat"}},
		ReadLimit: 1 << 20,
		OnMessage: func(msg []byte) bool { seen = append(seen, msg); return string(msg) != "quiet" },
		OnClose:   func(code websocket.StatusCode) { closes <- code },
	})
	addr := wstest.ServeHTTP(t, mux)

	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/plain", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3})).To(Succeed())
	typ, got, err := c.Read(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(typ).To(Equal(websocket.MessageBinary))
	g.Expect(got).To(Equal([]byte{1, 2, 3}))
	g.Expect(c.Close(websocket.StatusNormalClosure, "")).To(Succeed())

	c, _, err = websocket.Dial(ctx, "ws://"+addr+"/hooked", &websocket.DialOptions{Subprotocols: []string{"chat"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Subprotocol()).To(Equal("chat"))
	big := make([]byte, 100<<10) // over coder/websocket's default read limit
	c.SetReadLimit(1 << 20)
	for _, m := range [][]byte{[]byte("quiet"), big} {
		g.Expect(c.Write(ctx, websocket.MessageText, m)).To(Succeed())
	}
	typ, got, err = c.Read(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(typ).To(Equal(websocket.MessageText))
	g.Expect(got).To(Equal(big), "the message OnMessage refused is not echoed")
	g.Expect(c.Close(websocket.StatusGoingAway, "bye")).To(Succeed())
	g.Eventually(closes).WithTimeout(5 * time.Second).Should(Receive(Equal(websocket.StatusGoingAway)))
	g.Expect(seen).To(Equal([][]byte{[]byte("quiet"), big}))
}

func TestServeTCPAndFreeAddr(t *testing.T) {
	g := NewWithT(t)
	addr := wstest.ServeTCP(t, func(c net.Conn) {
		_, _ = c.Write([]byte("hi"))
		_ = c.Close()
	})
	c, err := net.Dial("tcp", addr)
	g.Expect(err).NotTo(HaveOccurred())
	buf := make([]byte, 2)
	_, err = c.Read(buf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(buf)).To(Equal("hi"))
	_ = c.Close()

	free := wstest.FreeAddr(t)
	g.Expect(free.IP.IsLoopback()).To(BeTrue())
	_, err = net.Dial("tcp", free.String())
	g.Expect(err).To(HaveOccurred(), "nothing listens on a free address")
}

// fakeT records what Run reports, and runs cleanups when told.
type fakeT struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Cleanup(fn func())              { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Errorf(format string, _ ...any) { f.errors = append(f.errors, format) }

func TestRunStopsAtTheEndOfTheTest(t *testing.T) {
	g := NewWithT(t)
	ft := &fakeT{TB: t}
	stopped := make(chan error, 1)
	wstest.Run(ft, "server", func(ctx context.Context) error {
		<-ctx.Done()
		stopped <- ctx.Err()
		return nil
	})
	g.Consistently(stopped).WithTimeout(100 * time.Millisecond).ShouldNot(Receive())
	g.Expect(ft.cleanups).To(HaveLen(1))
	ft.cleanups[0]()
	g.Expect(stopped).To(Receive(MatchError(context.Canceled)))
	g.Expect(ft.errors).To(BeEmpty())
}
