package managercmd_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/cmd/managercmd"
	"github.com/wss-operator/wss-operator/internal/testenv"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

// TestManagerServesHealthAndMetrics starts the manager against a real API
// server and checks its probes and metrics endpoints answer.
func TestManagerServesHealthAndMetrics(t *testing.T) {
	g := NewWithT(t)
	ctx, env := testenv.StartForTest(t, 2*time.Minute, testenv.Options{})

	probeAddr, metricsAddr := wstest.FreeAddr(t).String(), wstest.FreeAddr(t).String()
	mgr, err := managercmd.NewManager(env.Config, managercmd.Options{
		ProbeAddr: probeAddr, MetricsAddr: metricsAddr,
		LeaderElect: true, LeaderElectionID: "wss-operator-test", LeaderElectionNamespace: "default",
		LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second,
	})
	g.Expect(err).NotTo(HaveOccurred())
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(runCtx) }()

	for _, path := range []string{"http://" + probeAddr + "/healthz", "http://" + probeAddr + "/readyz", "http://" + metricsAddr + "/metrics"} {
		g.Eventually(func() (int, error) {
			resp, err := http.Get(path)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			return resp.StatusCode, nil
		}).WithTimeout(30*time.Second).WithPolling(100*time.Millisecond).Should(Equal(http.StatusOK), fmt.Sprintf("GET %s", path))
	}
	g.Eventually(mgr.Elected()).WithTimeout(30 * time.Second).Should(BeClosed())
	stop()
	g.Eventually(done).WithTimeout(30 * time.Second).Should(Receive(BeNil()))
}
