package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/probe"
)

var (
	endpointReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wss_endpoint_ready",
		Help: "1 when the WSSEndpoint's Ready condition is True, 0 otherwise.",
	}, []string{"namespace", "name"})
	handshakeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wss_endpoint_handshake_duration_seconds",
		Help:    "Duration of each phase of the live probe through the Service (connect, tls, upgrade, ping, idle, total).",
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
	}, []string{"phase"})
	handshakeFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wss_endpoint_handshake_failures_total",
		Help: "Failed live probes through the Service, by reason from the fixed vocabulary.",
	}, []string{"reason"})
	clientFailures = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wss_endpoint_client_handshake_failures",
		Help: "Handshakes real clients failed with the sidecars in the last hour, by reason (status.clients).",
	}, []string{"namespace", "name", "reason"})
	certificateExpiration = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wss_endpoint_certificate_expiration_timestamp_seconds",
		Help: "notAfter of the certificate the WSSEndpoint serves, as a Unix timestamp.",
	}, []string{"namespace", "name"})
)

func init() {
	metrics.Registry.MustRegister(endpointReady, handshakeDuration, handshakeFailures, certificateExpiration, clientFailures)
}

// ObserveProbe records one service probe; the prober calls it.
func ObserveProbe(_ types.NamespacedName, r *probe.Result) {
	if r == nil {
		return
	}
	for phase, ms := range map[string]float64{
		"connect": r.Timings.ConnectMs, "tls": r.Timings.TLSMs, "upgrade": r.Timings.UpgradeMs, "ping": r.Timings.PingMs,
		"idle": r.Timings.IdleMs, "total": r.Timings.TotalMs,
	} {
		if ms > 0 {
			handshakeDuration.WithLabelValues(phase).Observe(ms / 1000)
		}
	}
	if !r.Healthy {
		handshakeFailures.WithLabelValues(r.Reason).Inc()
	}
}

func recordEndpointMetrics(ep *wssv1.WSSEndpoint) {
	ready := 0.0
	if meta.IsStatusConditionTrue(ep.Status.Conditions, wssv1.ConditionReady) {
		ready = 1
	}
	endpointReady.WithLabelValues(ep.Namespace, ep.Name).Set(ready)
	if c := ep.Status.Certificate; c != nil && c.NotAfter != nil {
		certificateExpiration.WithLabelValues(ep.Namespace, ep.Name).Set(float64(c.NotAfter.Unix()))
	}
	// Reasons come from the closed probe vocabulary: a fixed number of map
	// operations per endpoint, never a scan of every endpoint's series.
	counts := map[string]int64{}
	if c := ep.Status.Clients; c != nil {
		for _, f := range c.Failures {
			counts[f.Reason] = f.Count
		}
	}
	for _, reason := range wssv1.ProbeReasons {
		if n, ok := counts[reason]; ok {
			clientFailures.WithLabelValues(ep.Namespace, ep.Name, reason).Set(float64(n))
		} else {
			clientFailures.DeleteLabelValues(ep.Namespace, ep.Name, reason)
		}
	}
}

func forgetMetrics(key types.NamespacedName) {
	endpointReady.DeleteLabelValues(key.Namespace, key.Name)
	certificateExpiration.DeleteLabelValues(key.Namespace, key.Name)
	clientFailures.DeletePartialMatch(prometheus.Labels{"namespace": key.Namespace, "name": key.Name})
}
