package echo

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestStamp(t *testing.T) {
	g := NewWithT(t)
	p := make([]byte, 64)
	before := time.Now()
	Stamp(p, KindBroadcast)
	sent, kind, ok := Stamped(p)
	g.Expect(ok).To(BeTrue())
	g.Expect(kind).To(Equal(byte(KindBroadcast)))
	g.Expect(sent).To(BeTemporally("~", before, time.Second))
	_, _, ok = Stamped(p[:8])
	g.Expect(ok).To(BeFalse())
	_, ok = Round(p)
	g.Expect(ok).To(BeTrue(), "a broadcast of 64 bytes has room for its round")

	tick := time.Unix(0, 1_700_000_000_123_456_789)
	StampBroadcast(p, tick)
	sent, kind, ok = Stamped(p)
	g.Expect(ok).To(BeTrue())
	g.Expect(kind).To(Equal(byte(KindBroadcast)))
	g.Expect(sent).To(BeTemporally("~", time.Now(), time.Second))
	round, ok := Round(p)
	g.Expect(ok).To(BeTrue())
	g.Expect(round).To(BeTemporally("==", tick))
	_, ok = Round(p[:BroadcastLen-1])
	g.Expect(ok).To(BeFalse(), "too short for a round")
	Stamp(p, KindClient)
	_, ok = Round(p)
	g.Expect(ok).To(BeFalse(), "a client's message has no round")
}

func TestHubRemove(t *testing.T) {
	g := NewWithT(t)
	h := &Hub{}
	a, b, c := &member{}, &member{}, &member{}
	h.add(a)
	h.add(b)
	h.add(c)
	h.remove(a)
	h.remove(a)
	g.Expect(h.members).To(ConsistOf(b, c))
}
