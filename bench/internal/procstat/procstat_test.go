package procstat

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

func TestOwnProcess(t *testing.T) {
	g := NewWithT(t)
	s, err := ReadStat(os.Getpid())
	g.Expect(err).NotTo(HaveOccurred())
	name := filepath.Base(os.Args[0])
	g.Expect(s.Comm).To(Equal(name[:min(15, len(name))])) // the kernel keeps 15 bytes
	g.Expect(s.PPID).To(Equal(os.Getppid()))
	g.Expect(s.CPUSec).To(BeNumerically(">=", 0))
	rss, err := RSSKiB(os.Getpid())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rss).To(BeNumerically(">", 0))
	st, err := Status(os.Getpid())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st).To(And(HaveKey("VmRSS"), HaveKey("RssAnon")))
	_, err = ReadStat(-1)
	g.Expect(err).To(MatchError(ContainSubstring("/proc/-1/stat")))
}

func TestWithChildren(t *testing.T) {
	g := NewWithT(t)
	cmd := exec.Command("sleep", "10")
	g.Expect(cmd.Start()).To(Succeed())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	g.Expect(WithChildren([]int{os.Getpid(), os.Getpid()})).To(Equal([]int{os.Getpid(), cmd.Process.Pid}))
}

func TestCPUTimes(t *testing.T) {
	g := NewWithT(t)
	all, per, err := ReadCPUTimes()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(per).NotTo(BeEmpty())
	g.Expect(all.Total).To(BeNumerically(">=", per[0].Total))
	g.Expect(all.BusySeconds()).To(Equal(float64(all.Busy) / ClockTicks))
	g.Expect(BusyFractions([]CPUTimes{{10, 100}, {5, 50}, {1, 1}}, []CPUTimes{{60, 200}, {5, 50}})).To(Equal([]float64{0.5, 0}))
}

func TestMachine(t *testing.T) {
	g := NewWithT(t)
	model, _ := CPUInfo()
	g.Expect(model).NotTo(BeEmpty())
	g.Expect(MemTotalKiB()).To(BeNumerically(">", 0))
}
