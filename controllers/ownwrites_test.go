package controllers

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestOwnWrites(t *testing.T) {
	g := NewWithT(t)
	var w ownWrites
	t0 := time.Now()
	g.Expect(w.stale("a", "10", t0)).To(BeFalse(), "nothing written")

	w.wrote("a", "10", "11", t0)
	g.Expect(w.stale("a", "10", t0.Add(time.Second))).To(BeTrue(), "the cache still shows the version we replaced")
	g.Expect(w.stale("b", "10", t0)).To(BeFalse(), "another endpoint")
	g.Expect(w.stale("a", "11", t0.Add(time.Second))).To(BeFalse(), "the cache caught up")
	g.Expect(w.stale("a", "10", t0.Add(time.Second))).To(BeFalse(), "caught up once is enough: the record is gone")

	w.wrote("a", "11", "12", t0)
	g.Expect(w.stale("a", "13", t0)).To(BeFalse(), "someone else wrote since: not ours to wait for")
	g.Expect(w.stale("a", "11", t0)).To(BeFalse())

	w.wrote("a", "12", "12", t0)
	g.Expect(w.stale("a", "12", t0)).To(BeFalse(), "a write the API server found to change nothing")

	w.wrote("a", "12", "13", t0)
	g.Expect(w.stale("a", "12", t0.Add(ownWriteWindow))).To(BeFalse(), "no longer than ownWriteWindow")

	w.wrote("a", "13", "14", t0)
	w.forget("a")
	g.Expect(w.stale("a", "13", t0)).To(BeFalse(), "forgotten")
}
