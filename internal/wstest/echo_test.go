package wstest_test

import (
	"context"
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
