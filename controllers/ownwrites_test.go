package controllers

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
)

func TestOwnWrites(t *testing.T) {
	g := NewWithT(t)
	var w ownWrites
	a, b := types.NamespacedName{Namespace: "ns", Name: "a"}, types.NamespacedName{Namespace: "ns", Name: "b"}
	t0 := time.Now()
	g.Expect(w.stale(a, "uid-a", "10", t0)).To(BeFalse(), "nothing written")

	w.wrote(a, "uid-a", "10", "11", t0)
	g.Expect(w.stale(a, "uid-a", "10", t0.Add(time.Second))).To(BeTrue(), "the cache still shows the version we replaced")
	g.Expect(w.stale(b, "uid-b", "10", t0)).To(BeFalse(), "another endpoint")
	g.Expect(w.stale(a, "uid-a", "11", t0.Add(time.Second))).To(BeFalse(), "the cache caught up")
	g.Expect(w.stale(a, "uid-a", "10", t0.Add(time.Second))).To(BeFalse(), "caught up once is enough: the record is gone")

	w.wrote(a, "uid-a", "11", "12", t0)
	g.Expect(w.stale(a, "uid-a", "13", t0)).To(BeFalse(), "someone else wrote since: not ours to wait for")
	g.Expect(w.stale(a, "uid-a", "11", t0)).To(BeFalse())

	w.wrote(a, "uid-a", "12", "12", t0)
	g.Expect(w.stale(a, "uid-a", "12", t0)).To(BeFalse(), "a write the API server found to change nothing")

	w.wrote(a, "uid-a", "12", "13", t0)
	g.Expect(w.stale(a, "uid-a", "12", t0.Add(ownWriteWindow))).To(BeFalse(), "no longer than ownWriteWindow")

	w.wrote(a, "uid-a", "13", "14", t0)
	g.Expect(w.stale(a, "uid-a2", "13", t0)).To(BeFalse(), "an endpoint re-created under the same name is another")

	w.wrote(a, "uid-a", "14", "15", t0)
	w.forget(a)
	g.Expect(w.stale(a, "uid-a", "14", t0)).To(BeFalse(), "forgotten")
	g.Expect(w.m).To(BeEmpty(), "nothing is kept for a forgotten endpoint")
}
