//go:build linux

package proxy

import (
	"net"
	"sync/atomic"
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
	var woken [3]atomic.Int32
	c1, s1 := pair()
	_, s2 := pair()
	c3, s3 := pair()
	var a, b, c, d parking
	pl.register(&a, func() { woken[0].Add(1) })
	pl.register(&b, func() { woken[1].Add(1) })
	g.Expect(a.slot).NotTo(Equal(b.slot), "two registrations, two slots")

	g.Expect(a.arm(rawOf(s1))).To(Succeed())
	a.release(rawOf(s1))
	a.release(rawOf(s1)) // a second release must not free the slot twice
	pl.register(&c, func() { woken[2].Add(1) })
	g.Expect(c.slot).To(Equal(a.slot), "the freed slot is reused")
	g.Expect(c.gen).NotTo(Equal(a.gen), "with a new generation")
	pl.register(&d, func() {})
	g.Expect(d.slot).NotTo(Equal(c.slot), "the slot was freed once")
	g.Expect(d.slot).NotTo(Equal(b.slot))

	// a's socket became readable after its release: nobody is woken. c's
	// socket becomes readable while armed: c is woken, once (one-shot).
	_, err = c1.Write([]byte("x"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.arm(rawOf(s3))).To(Succeed())
	_, err = c3.Write([]byte("x"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(woken[2].Load, 2*time.Second, 10*time.Millisecond).Should(Equal(int32(1)))
	g.Consistently(func() [3]int32 { return [3]int32{woken[0].Load(), woken[1].Load(), woken[2].Load()} },
		200*time.Millisecond, 20*time.Millisecond).Should(Equal([3]int32{0, 0, 1}))
	// Arming again (a MOD now) and releasing (a DEL) go through.
	g.Expect(c.arm(rawOf(s3))).To(Succeed())
	g.Expect(c.added).To(BeTrue())
	b.release(rawOf(s2))
	c.release(rawOf(s3))
	g.Expect(c.added).To(BeFalse())
	d.release(rawOf(s2))
	// Arming a closed socket fails with an error, not silently.
	s1.Close()
	var e parking
	pl.register(&e, func() {})
	g.Expect(e.arm(rawOf(s1))).NotTo(Succeed())
	e.release(rawOf(s1))
}
