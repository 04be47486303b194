package benchresult

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestWindow(t *testing.T) {
	g := NewWithT(t)
	w := Window{Seconds: 10, CPUs: 2, CPUSeconds: map[string]float64{"etcd": 5}, ManagerRequests: map[string]float64{
		"patch/wssendpoints/status": 7, "patch/wssendpoints/": 1, "create/events/": 2, "patch/events/": 1, "get/secrets/": 3}}
	g.Expect(w.Share("etcd")).To(Equal(0.25))
	g.Expect(w.Share("none")).To(BeZero())
	g.Expect(Window{}.Share("etcd")).To(BeZero())
	g.Expect(w.ManagerCount("patch", "wssendpoints", "status")).To(Equal(7.0))
	g.Expect(w.ManagerCount("", "events", "*")).To(Equal(3.0))
	g.Expect(w.ManagerCount("get", "", "")).To(Equal(3.0))
	g.Expect(w.ManagerCount("", "", "*")).To(Equal(14.0))
	g.Expect(Sum(w.ManagerRequests)).To(Equal(14.0))
	g.Expect(Sum(nil)).To(BeZero())
}

func TestSplitKey(t *testing.T) {
	g := NewWithT(t)
	for k, want := range map[string][3]string{
		"patch/wssendpoints/status": {"patch", "wssendpoints", "status"},
		"get/secrets/":              {"get", "secrets", ""},
		"get/secrets":               {"get", "secrets", ""},
		"list":                      {"list", "", ""},
		"a/b/c/d":                   {"a", "b", "c/d"},
	} {
		v, r, s := SplitKey(k)
		g.Expect([3]string{v, r, s}).To(Equal(want), k)
	}
}
