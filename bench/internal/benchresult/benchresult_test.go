package benchresult

import (
	"encoding/json"
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

func TestControlPlaneReadsOldFiles(t *testing.T) {
	g := NewWithT(t)
	var old ControlPlane
	g.Expect(json.Unmarshal([]byte(`{"endpoints": 1000, "goMemLimit": "1", "allReadySeconds": 144.1, "applyToReadyP50Ms": 465,
		"floor": {"seconds": 50.3}, "memory": [{"cache": "naive", "rssMiB": 254}]}`), &old)).To(Succeed())
	g.Expect(old.Endpoints).To(Equal(1000))
	g.Expect(old.GoMemLimit).To(Equal("1"))
	g.Expect(old.Repetitions).To(HaveLen(1))
	r := old.Repetitions[0]
	g.Expect(r.AllReadySeconds).To(Equal(144.1))
	g.Expect(r.P50Ms).To(Equal(465.0))
	g.Expect(r.Floor.Seconds).To(Equal(50.3))
	g.Expect(r.Memory).To(Equal([]Memory{{Cache: "naive", RSSMiB: 254}}))
	g.Expect(r.Order).To(BeEmpty())
	g.Expect(r.Ceiling).To(BeNil(), "a file from before the floor + rollouts has none")

	b, err := json.Marshal(ControlPlane{Endpoints: 5, Repetitions: []Repetition{{Order: []string{"endpoints", "floor"}, AllReadySeconds: 2}, {AllReadySeconds: 3}}})
	g.Expect(err).NotTo(HaveOccurred())
	var again ControlPlane
	g.Expect(json.Unmarshal(b, &again)).To(Succeed())
	g.Expect(again.Repetitions).To(HaveLen(2))
	g.Expect(again.Repetitions[0].Order).To(Equal([]string{"endpoints", "floor"}))
	g.Expect(again.Repetitions[1].AllReadySeconds).To(Equal(3.0))

	b, err = json.Marshal(ControlPlane{Repetitions: []Repetition{{Order: []string{"floor", "ceiling", "endpoints"}, Ceiling: &Window{Seconds: 7}}}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(b)).To(ContainSubstring(`"ceiling":{"seconds":7,`))
	var ceiling ControlPlane
	g.Expect(json.Unmarshal(b, &ceiling)).To(Succeed())
	g.Expect(ceiling.Repetitions[0].Ceiling.Seconds).To(Equal(7.0))
}
