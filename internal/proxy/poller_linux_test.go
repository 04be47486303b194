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
	a := pl.register(rawOf(s1), func() { woken[0].Add(1) })
	b := pl.register(rawOf(s2), func() { woken[1].Add(1) })
	g.Expect(a.ev.Fd).NotTo(Equal(b.ev.Fd), "two registrations, two slots")

	g.Expect(a.arm()).To(Succeed())
	a.release()
	a.release() // a second release must not free the slot twice
	c := pl.register(rawOf(s3), func() { woken[2].Add(1) })
	g.Expect(c.ev.Fd).To(Equal(a.ev.Fd), "the freed slot is reused")
	g.Expect(c.ev.Pad).NotTo(Equal(a.ev.Pad), "with a new generation")
	d := pl.register(rawOf(s2), func() {})
	g.Expect(d.ev.Fd).NotTo(Equal(c.ev.Fd), "the slot was freed once")
	g.Expect(d.ev.Fd).NotTo(Equal(b.ev.Fd))

	// a's socket became readable after its release: nobody is woken. c's
	// socket becomes readable while armed: c is woken, once (one-shot).
	_, err = c1.Write([]byte("x"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.arm()).To(Succeed())
	_, err = c3.Write([]byte("x"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(woken[2].Load, 2*time.Second, 10*time.Millisecond).Should(Equal(int32(1)))
	g.Consistently(func() [3]int32 { return [3]int32{woken[0].Load(), woken[1].Load(), woken[2].Load()} },
		200*time.Millisecond, 20*time.Millisecond).Should(Equal([3]int32{0, 0, 1}))
	for _, pk := range []*parking{b, c, d} {
		pk.release()
	}
}
