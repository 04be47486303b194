package proxy

import (
	"fmt"
	"io"
	"net"
	"testing"
	"time"
	"unsafe"

	"github.com/coder/websocket"
	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// A backend that closes the TCP connection: the client is told (TLS
// close_notify) and, if it never closes its side, the proxy closes it after
// closeGrace, waking the parked direction to do so.
func TestBackendHangUpThenClientGrace(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, cs, p := startEnv(t, false, Config{})
	ws := dialRawWS(t, p, cs.ca.pool(), "/drop")
	// close_notify arrives as EOF; the client keeps its side open.
	_ = ws.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := ws.br.ReadByte()
	g.Expect(err).To(MatchError(io.EOF))
	if getPoller() != nil {
		g.Eventually(func() int { return parkedPumps(p) }, 5*time.Second, 20*time.Millisecond).Should(Equal(1), func() string { return fmt.Sprint(pumpStates(p)) })
	}
	g.Expect(p.metric(t, MetricConnectionsActive)).To(Equal(1.0))
	g.Eventually(p.metricFunc(t, MetricConnectionsActive),
		closeGrace+10*time.Second, 50*time.Millisecond).Should(BeZero())
}

// A client that vanishes (TCP reset) while its connection is parked: the
// proxy notices, closes the backend side and frees the connection.
func TestClientResetWhileParked(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	be, cs, p := startEnv(t, false, Config{})
	ctx := testContext(t, 20*time.Second)
	ws := dialRawWS(t, p, cs.ca.pool(), "/echo")
	_, err := ws.conn.Write(clientFrame(wsframe.OpText, []byte("hi")))
	g.Expect(err).NotTo(HaveOccurred())
	op, msg, err := ws.readFrame()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(op).To(Equal(byte(wsframe.OpText)))
	g.Expect(string(msg)).To(Equal("hi"))
	if getPoller() != nil {
		g.Eventually(func() int { return parkedPumps(p) }, 5*time.Second, 20*time.Millisecond).Should(Equal(2))
	}
	tcp := ws.conn.NetConn().(*net.TCPConn)
	g.Expect(tcp.SetLinger(0)).To(Succeed())
	g.Expect(tcp.Close()).To(Succeed())
	var code websocket.StatusCode
	g.Eventually(be.closes, 10*time.Second).Should(Receive(&code))
	g.Expect(code).NotTo(Equal(websocket.StatusGoingAway))
	g.Eventually(p.metricFunc(t, MetricConnectionsActive), 10*time.Second).Should(BeZero())
	// The proxy still serves.
	c := dialEcho(t, ctx, p, cs.ca.pool())
	g.Expect(echoOnce(ctx, c, []byte("next"))).To(Succeed())
	c.CloseNow()
}

// Busy directions keep their goroutines although their linger deadline
// moves only now and then; once quiet for parkAfter, both park.
func TestBusyPumpsLingerQuietOnesPark(t *testing.T) {
	t.Parallel()
	if getPoller() == nil {
		t.Skip("no poller here")
	}
	g := NewWithT(t)
	_, cs, p := startEnv(t, false, Config{})
	ctx := testContext(t, 30*time.Second)
	c := dialEcho(t, ctx, p, cs.ca.pool())
	// Messages every parkAfter/3 for 4 parkAfter: no direction parks.
	for range 12 {
		g.Expect(echoOnce(ctx, c, pattern(64))).To(Succeed())
		g.Expect(parkedPumps(p)).To(BeZero(), func() string { return fmt.Sprint(pumpStates(p)) })
		time.Sleep(parkAfter / 3)
	}
	g.Expect(echoOnce(ctx, c, pattern(64))).To(Succeed())
	last := time.Now()
	time.Sleep(parkAfter / 2)
	if time.Since(last) < parkAfter*9/10 { // else the machine was too busy to tell
		g.Expect(parkedPumps(p)).To(BeZero(), "parked before parkAfter of quiet")
	}
	g.Eventually(func() int { return parkedPumps(p) }, 10*time.Second, 10*time.Millisecond).Should(Equal(2))
	// Both wrote (with a write deadline: IdleTimeout is on by default);
	// parked, neither keeps one.
	g.Expect(writeDeadlinesOfParked(p)).To(BeZero())
	// A parked connection wakes for the next message.
	g.Expect(echoOnce(ctx, c, pattern(64))).To(Succeed())
}

// writeDeadlinesOfParked counts parked pumps that keep a write deadline.
func writeDeadlinesOfParked(p *testProxy) int {
	return countPumps(p, func(pu *pump) bool { return pu.state.Load() == pumpParked && pu.writeRefresh != 0 })
}

// What an idle connection keeps of its own is mostly these structs: each
// stays within the Go size class it was cut down to (wsConn 288 bytes with
// its two pumps, a sock 128), so that a new field shows up here rather than
// as RSS per connection in the idle benchmark.
func TestIdleStateSizes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		size, max uintptr
	}{
		{"frameTracker", unsafe.Sizeof(frameTracker{}), 40},
		{"pump", unsafe.Sizeof(pump{}), 96},
		{"wsConn", unsafe.Sizeof(wsConn{}), 288},
		{"sock", unsafe.Sizeof(sock{}), 112},
		{"rawConn", unsafe.Sizeof(rawConn{}), 48},
	} {
		if tc.size > tc.max {
			t.Errorf("%s is %d bytes, more than %d", tc.name, tc.size, tc.max)
		}
	}
}
