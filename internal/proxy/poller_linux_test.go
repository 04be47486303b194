//go:build linux

package proxy

import (
	"net"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// The poller's slab: a released slot is reused by the next registration
// with a new generation, so a wake-up for the slot's previous owner is not
// delivered to the new one; releasing twice frees the slot once; an armed
// socket that becomes readable wakes its own registration only.
func TestPollerSlots(t *testing.T) {
	g := NewWithT(t)
	pl := getPoller()
	g.Expect(pl).NotTo(BeNil())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	defer ln.Close()
	pair := func() (client, server net.Conn) {
		c, err := net.Dial("tcp", ln.Addr().String())
		g.Expect(err).NotTo(HaveOccurred())
		s, err := ln.Accept()
		g.Expect(err).NotTo(HaveOccurred())
		t.Cleanup(func() { c.Close(); s.Close() })
		return c, s
	}
	rawOf := func(c net.Conn) syscall.RawConn {
		raw, err := c.(*net.TCPConn).SyscallConn()
		g.Expect(err).NotTo(HaveOccurred())
		return raw
	}
	// Zero pumps: "running", so a wake-up's kick only marks them kicked.
	var pumps [4]pump
	kicked := func() [3]int32 {
		return [3]int32{pumps[0].state.Load(), pumps[1].state.Load(), pumps[2].state.Load()}
	}
	c1, s1 := pair()
	_, s2 := pair()
	c3, s3 := pair()
	var a, b, c, d parking
	pl.register(&a, &pumps[0])
	pl.register(&b, &pumps[1])
	g.Expect(a.slot).NotTo(Equal(b.slot), "two registrations, two slots")

	g.Expect(a.arm(rawOf(s1))).To(Succeed())
	a.release(rawOf(s1))
	a.release(rawOf(s1)) // a second release must not free the slot twice
	pl.register(&c, &pumps[2])
	g.Expect(c.slot).To(Equal(a.slot), "the freed slot is reused")
	g.Expect(c.gen).NotTo(Equal(a.gen), "with a new generation")
	pl.register(&d, &pumps[3])
	g.Expect(d.slot).NotTo(Equal(c.slot), "the slot was freed once")
	g.Expect(d.slot).NotTo(Equal(b.slot))

	// a's socket became readable after its release: nobody is woken. c's
	// socket becomes readable while armed: c is woken, once (one-shot:
	// more data, with c's pump running again, wakes nobody).
	_, err = c1.Write([]byte("x"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.arm(rawOf(s3))).To(Succeed())
	_, err = c3.Write([]byte("x"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(kicked, 2*time.Second, 10*time.Millisecond).Should(Equal([3]int32{pumpRunning, pumpRunning, pumpKicked}))
	pumps[2].state.Store(pumpRunning)
	_, err = c3.Write([]byte("y"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Consistently(kicked, 200*time.Millisecond, 20*time.Millisecond).Should(Equal([3]int32{pumpRunning, pumpRunning, pumpRunning}))
	// Arming again (a MOD now) wakes c at once (level-triggered: data is
	// there); releasing (a DEL) goes through.
	g.Expect(c.arm(rawOf(s3))).To(Succeed())
	g.Expect(c.added).To(BeTrue())
	g.Eventually(kicked, 2*time.Second, 10*time.Millisecond).Should(Equal([3]int32{pumpRunning, pumpRunning, pumpKicked}))
	b.release(rawOf(s2))
	c.release(rawOf(s3))
	g.Expect(c.added).To(BeFalse())
	d.release(rawOf(s2))
	g.Expect(pumps[3].state.Load()).To(Equal(pumpRunning), "d was never armed")
	// Arming a closed socket fails with an error, not silently.
	s1.Close()
	var e parking
	pl.register(&e, &pumps[3])
	g.Expect(e.arm(rawOf(s1))).NotTo(Succeed())
	e.release(rawOf(s1))
}
