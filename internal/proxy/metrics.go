package proxy

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// Label values of wss_proxy_certificate_reloads_total{result}.
const (
	reloadSuccess = "success"
	reloadFailure = "failure"
)

// Label values of wss_proxy_bytes_total{direction}.
const (
	DirectionClientToBackend = "client_to_backend"
	DirectionBackendToClient = "backend_to_client"
)

// Metric names (the contract in README.md "Metrics", plus one extra counter for the
// connection cap).
const (
	MetricConnectionsActive   = "wss_proxy_connections_active"
	MetricConnectionsTotal    = "wss_proxy_connections_total"
	MetricConnectionsRejected = "wss_proxy_connections_rejected_total"
	MetricHandshakeErrors     = "wss_proxy_tls_handshake_errors_total"
	MetricCertificateReloads  = "wss_proxy_certificate_reloads_total"
	MetricCertificateExpiry   = "wss_proxy_certificate_expiration_timestamp_seconds"
	MetricBytes               = "wss_proxy_bytes_total"
)

// handshakeReasons is every reason classifyHandshakeError and
// refineFailure can return: the closed label set of
// wss_proxy_tls_handshake_errors_total.
var handshakeReasons = []string{
	wssv1.ReasonNotTLS, wssv1.ReasonProtocolVersionMismatch, wssv1.ReasonNoSharedCipher,
	wssv1.ReasonClientCertificateRequired, wssv1.ReasonUnknownAuthority, wssv1.ReasonCertificateExpired,
	wssv1.ReasonKeyMismatch, wssv1.ReasonTimeout, wssv1.ReasonConnectionReset, wssv1.ReasonUnknown,
	wssv1.ReasonHostnameMismatch,
}

type metrics struct {
	active          prometheus.Gauge
	total           prometheus.Counter
	rejected        prometheus.Counter
	handshakeErrors *prometheus.CounterVec
	reloads         *prometheus.CounterVec
	expiry          prometheus.Gauge
	bytesC2B        prometheus.Counter
	bytesB2C        prometheus.Counter
}

// metricHelp is the help text of each metric.
var metricHelp = map[string]string{
	MetricConnectionsActive:   "Client connections currently open (in TLS handshake, HTTP or upgraded to WebSocket).",
	MetricConnectionsTotal:    "Client TCP connections accepted on the TLS listener.",
	MetricConnectionsRejected: "Client connections closed right after accept because the connection cap (--max-connections) was reached.",
	MetricHandshakeErrors:     "TLS handshakes with real clients that failed, by reason (the shared reason vocabulary).",
	MetricCertificateReloads:  "Certificate reloads from --cert-dir by result; a failure keeps the previous certificate serving.",
	MetricCertificateExpiry:   "notAfter of the leaf certificate being served, as Unix seconds.",
	MetricBytes:               "Bytes forwarded between clients and the backend (HTTP heads and bodies, WebSocket frames), by direction.",
}

func gauge(name string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: metricHelp[name]})
}

func counter(name string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: metricHelp[name]})
}

func counterVec(name, label string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: metricHelp[name]}, []string{label})
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		active:          gauge(MetricConnectionsActive),
		total:           counter(MetricConnectionsTotal),
		rejected:        counter(MetricConnectionsRejected),
		handshakeErrors: counterVec(MetricHandshakeErrors, "reason"),
		reloads:         counterVec(MetricCertificateReloads, "result"),
		expiry:          gauge(MetricCertificateExpiry),
	}
	bytes := counterVec(MetricBytes, "direction")
	m.bytesC2B = bytes.WithLabelValues(DirectionClientToBackend)
	m.bytesB2C = bytes.WithLabelValues(DirectionBackendToClient)
	for _, r := range handshakeReasons {
		m.handshakeErrors.WithLabelValues(r)
	}
	m.reloads.WithLabelValues(reloadSuccess)
	m.reloads.WithLabelValues(reloadFailure)
	for _, c := range []prometheus.Collector{
		m.active, m.total, m.rejected, m.handshakeErrors, m.reloads, m.expiry, bytes,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
