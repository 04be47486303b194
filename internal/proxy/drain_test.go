package proxy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// stopAndWait cancels the proxy's context and returns how long Run took.
func stopAndWait(t *testing.T, p *testProxy) time.Duration {
	t.Helper()
	start := time.Now()
	returned, err := p.stop(60 * time.Second)
	switch {
	case !returned:
		t.Fatal("Run did not return")
	case err != nil:
		t.Fatalf("Run returned %v", err)
	}
	p.done <- nil // for the cleanup in startProxy
	return time.Since(start)
}

func TestDrainSendsGoingAwayToEverySide(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	const budget = 20 * time.Second
	be, cs, p := startEnv(t, false, Config{DrainTimeout: budget})
	ctx := testContext(t, 60*time.Second)

	// Idle clients.
	const idle = 20
	var clients []*websocket.Conn
	for range idle {
		c := dialEcho(t, ctx, p, cs.ca.pool())
		g.Expect(echoOnce(ctx, c, []byte("hello"))).To(Succeed())
		clients = append(clients, c)
	}
	// A client in the middle of a fragmented message: the close frame goes
	// to the backend between two fragments (RFC 6455 5.4 allows it).
	frag := dialEcho(t, ctx, p, cs.ca.pool())
	w, err := frag.Writer(ctx, websocket.MessageText)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = w.Write([]byte("first fragment"))
	g.Expect(err).NotTo(HaveOccurred())
	// A client that does not read while the backend sends it one 32 MiB
	// frame: the proxy is mid-frame toward it and must not split the frame.
	big, _, err := dialWS(ctx, p, "/big?n="+fmt.Sprint(32<<20), cs.ca.pool(), nil)
	g.Expect(err).NotTo(HaveOccurred())
	// An in-flight plain HTTP request finishes during the drain.
	httpDone := make(chan string, 1)
	go func() {
		resp, err := httpsClient(cs.ca.pool()).Get("https://" + p.Addr().String() + "/slow?d=1s")
		if err != nil {
			httpDone <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		httpDone <- string(b)
	}()
	g.Eventually(p.metricFunc(t, MetricConnectionsActive)).Should(Equal(float64(idle + 3)))
	// The big frame is on its way (and stuck, as its client does not read).
	g.Eventually(p.metricFunc(t, MetricBytes, "direction", DirectionBackendToClient), 10*time.Second).Should(BeNumerically(">", 1<<20))

	if getPoller() != nil {
		// The idle clients' directions (and the fragmented one's) are parked
		// without goroutines: the drain must reach them too.
		g.Eventually(func() int { return parkedPumps(p) }, 10*time.Second, 20*time.Millisecond).Should(BeNumerically(">=", 2*(idle+1)))
	}
	stopped := make(chan time.Duration, 1)
	go func() { stopped <- stopAndWait(t, p) }()

	var wg sync.WaitGroup
	codes := make(chan websocket.StatusCode, idle+2)
	for _, c := range append(clients, frag) {
		wg.Go(func() {
			_, _, err := c.Read(ctx)
			codes <- websocket.CloseStatus(err)
		})
	}
	wg.Go(func() {
		time.Sleep(200 * time.Millisecond) // the drain starts while the big frame is in flight
		_, msg, err := big.Read(ctx)
		if err != nil || !bytes.Equal(msg, pattern(32<<20)) {
			t.Errorf("big message: %d bytes, error %v", len(msg), err)
			codes <- -2
			return
		}
		_, _, err = big.Read(ctx)
		codes <- websocket.CloseStatus(err)
	})
	wg.Wait()
	close(codes)
	for code := range codes {
		g.Expect(code).To(Equal(websocket.StatusGoingAway))
	}
	g.Eventually(httpDone, 10*time.Second).Should(Receive(Equal("done")))
	// The backend saw a (masked, else coder/websocket would refuse it) close
	// 1001 on every connection, the fragmented one included.
	for range idle + 2 {
		var code websocket.StatusCode
		g.Eventually(be.closes, 10*time.Second).Should(Receive(&code))
		g.Expect(code).To(Equal(websocket.StatusGoingAway))
	}
	var took time.Duration
	g.Eventually(stopped, budget+5*time.Second).Should(Receive(&took))
	g.Expect(took).To(BeNumerically("<", budget))
	g.Expect(p.metric(t, MetricConnectionsActive)).To(BeZero())
	_, _, err = dialWS(ctx, p, "/echo", cs.ca.pool(), nil)
	g.Expect(err).To(HaveOccurred(), "no new connections after the drain")
}

func TestDrainWaitsForFrameBoundaryFromClient(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	be, cs, p := startEnv(t, false, Config{DrainTimeout: 20 * time.Second})
	ws := dialRawWS(t, p, cs.ca.pool(), "/echo")

	// Half a frame: header and 5 of 10 payload bytes.
	frame := clientFrame(wsframe.OpBinary, []byte("0123456789"))
	c2bBytes := p.metricFunc(t, MetricBytes, "direction", DirectionClientToBackend)
	before := c2bBytes()
	_, err := ws.conn.Write(frame[:len(frame)-5])
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(c2bBytes, 10*time.Second).Should(Equal(before + float64(len(frame)-5)))

	stopped := make(chan time.Duration, 1)
	go func() { stopped <- stopAndWait(t, p) }()

	// The client gets close 1001 right away (the backend's side is idle).
	op, payload, err := ws.readFrame()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(op).To(Equal(byte(wsframe.OpClose)))
	g.Expect(binary.BigEndian.Uint16(payload)).To(Equal(uint16(wsframe.CloseGoingAway)))
	g.Expect(string(payload[2:])).To(Equal(drainReason))
	// The backend cannot get its close before the frame is complete.
	g.Consistently(be.closes, 300*time.Millisecond).ShouldNot(Receive())
	_, err = ws.conn.Write(frame[len(frame)-5:])
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(be.messages, 10*time.Second).Should(Receive(Equal([]byte("0123456789"))))
	g.Eventually(be.closes, 10*time.Second).Should(Receive(Equal(websocket.StatusGoingAway)))
	// The client answers the close; the proxy then closes the connection.
	_, err = ws.conn.Write(clientFrame(wsframe.OpClose, payload[:2]))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = io.ReadAll(ws.br)
	g.Expect(err).NotTo(HaveOccurred(), "clean EOF after the close handshake")
	g.Eventually(stopped, 30*time.Second).Should(Receive())
}

func TestDrainTimeoutClosesWhatRemains(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	const budget = time.Second
	_, cs, p := startEnv(t, false, Config{DrainTimeout: budget})
	// A client that never answers the close frame.
	ws := dialRawWS(t, p, cs.ca.pool(), "/echo")
	took := stopAndWait(t, p)
	g.Expect(took).To(BeNumerically(">=", budget))
	g.Expect(took).To(BeNumerically("<", budget+10*time.Second))
	op, payload, err := ws.readFrame()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(op).To(Equal(byte(wsframe.OpClose)))
	g.Expect(binary.BigEndian.Uint16(payload)).To(Equal(uint16(wsframe.CloseGoingAway)))
	_, _, err = ws.readFrame()
	g.Expect(err).To(HaveOccurred(), "the connection was closed at the end of the drain")
	g.Expect(p.metric(t, MetricConnectionsActive)).To(BeZero())
}
