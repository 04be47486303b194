package wstest_test

import (
	"context"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/wstest"
)

func TestServeTCPAndFreeAddr(t *testing.T) {
	g := NewWithT(t)
	addr := wstest.ServeTCP(t, func(c net.Conn) {
		_, _ = c.Write([]byte("hi"))
		_ = c.Close()
	})
	c, err := net.Dial("tcp", addr)
	g.Expect(err).NotTo(HaveOccurred())
	buf := make([]byte, 2)
	_, err = c.Read(buf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(buf)).To(Equal("hi"))
	_ = c.Close()

	free := wstest.FreeAddr(t)
	g.Expect(free.IP.IsLoopback()).To(BeTrue())
	_, err = net.Dial("tcp", free.String())
	g.Expect(err).To(HaveOccurred(), "nothing listens on a free address")
}

// fakeT records what Run reports, and runs cleanups when told.
type fakeT struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Cleanup(fn func())              { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Errorf(format string, _ ...any) { f.errors = append(f.errors, format) }

func TestRunStopsAtTheEndOfTheTest(t *testing.T) {
	g := NewWithT(t)
	ft := &fakeT{TB: t}
	stopped := make(chan error, 1)
	wstest.Run(ft, "server", func(ctx context.Context) error {
		<-ctx.Done()
		stopped <- ctx.Err()
		return nil
	})
	g.Consistently(stopped).WithTimeout(100 * time.Millisecond).ShouldNot(Receive())
	g.Expect(ft.cleanups).To(HaveLen(1))
	ft.cleanups[0]()
	g.Expect(stopped).To(Receive(MatchError(context.Canceled)))
	g.Expect(ft.errors).To(BeEmpty())
}
