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
