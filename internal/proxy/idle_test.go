package proxy

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// The write deadline moves lazily (not before every write), yet a client
// that stops reading is still cut after about IdleTimeout, and one that
// keeps reading is never cut, however long it lives.
func TestIdleTimeoutCutsOnlyAStalledPeer(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	const idle = 300 * time.Millisecond
	_, cs, p := startEnv(t, false, Config{IdleTimeout: idle})

	// A live connection, messages spaced by a third of the timeout, for
	// five times the timeout.
	ctx := testContext(t, 30*time.Second)
	c := dialEcho(t, ctx, p, cs.ca.pool())
	for i := range 15 {
		g.Expect(echoOnce(ctx, c, pattern(64))).To(Succeed(), fmt.Sprint("message ", i))
		time.Sleep(idle / 3)
	}
	g.Expect(echoOnce(context.Background(), c, pattern(64))).To(Succeed())

	// A client that never reads a 64 MiB message: the proxy's write to it
	// stalls once the socket buffers are full, and the connection goes.
	dialRawWS(t, p, cs.ca.pool(), fmt.Sprintf("/big?n=%d", 64<<20))
	g.Expect(p.metric(t, MetricConnectionsActive)).To(Equal(2.0))
	start := time.Now()
	g.Eventually(p.metricFunc(t, MetricConnectionsActive), 20*time.Second, 20*time.Millisecond).Should(Equal(1.0))
	g.Expect(time.Since(start)).To(BeNumerically(">=", idle), "cut before the idle timeout")
	g.Expect(echoOnce(ctx, c, pattern(64))).To(Succeed())
}
