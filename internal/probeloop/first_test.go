package probeloop

import (
	"context"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
)

// TestUpsertFirstResult: until an endpoint has its first result, Upsert
// returns a channel that the first recorded round closes (the reconciler
// waits on it); afterwards, and for an unchanged target, nil; Forget starts
// over.
func TestUpsertFirstResult(t *testing.T) {
	g := NewWithT(t)
	p := New(Options{
		Resolver: func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil },
		// Every dial is refused on loopback: a failed round is a result too.
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:1")
		},
	})
	key := types.NamespacedName{Namespace: "test", Name: "first"}
	target := Target{Key: key, URL: "wss://first.test.svc:443/", ServiceAddr: "first.test.svc:443",
		Interval: time.Hour, Timeout: 2 * time.Second}

	// Before Start nothing runs: the channel stays open, and an unchanged
	// target gets the same channel.
	first := p.Upsert(target)
	g.Expect(first).NotTo(BeNil())
	g.Expect(p.Upsert(target)).To(Equal(first))
	g.Consistently(first).WithTimeout(200 * time.Millisecond).ShouldNot(BeClosed())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = p.Start(ctx) }()
	g.Eventually(first).WithTimeout(10 * time.Second).Should(BeClosed())
	_, ok := p.Latest(key)
	g.Expect(ok).To(BeTrue())
	g.Expect(p.Upsert(target)).To(BeNil())
	target.Timeout = 3 * time.Second // a changed target with a result: nothing to wait for
	g.Expect(p.Upsert(target)).To(BeNil())

	p.Forget(key)
	again := p.Upsert(target)
	g.Expect(again).NotTo(BeNil())
	g.Eventually(again).WithTimeout(10 * time.Second).Should(BeClosed())
}
