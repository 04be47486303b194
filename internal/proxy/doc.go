// Package proxy is the TLS-terminating sidecar that turns a plain ws://
// server into a wss:// endpoint (wss-operator proxy).
//
// It terminates TLS with crypto/tls under a policy from its Config (a TLS
// profile from internal/tlsnames: modern, intermediate or old, with the
// minimum version, suites and curves overridable; ALPN http/1.1 and
// http/1.0; optional client certificates), hot-reloads tls.crt/tls.key/ca.crt from a directory laid out
// as Kubernetes mounts a Secret (refusing a bad pair and keeping the last
// good one), reverse-proxies ordinary HTTP requests, and splices WebSocket
// upgrades to the backend with pooled buffers that are not held while a
// connection is idle. A connection's first request, when it is a WebSocket
// upgrade, is read and spliced without net/http's server (firstreq.go);
// everything else is served by net/http. On shutdown it drains: every WebSocket gets a close
// frame with code 1001 at a frame boundary in both directions. An admin
// listener serves /healthz, /readyz and /metrics; failed TLS handshakes of
// real clients are counted by reason in the shared reason vocabulary, and
// /handshakes (handshakes.go) shows per reason the last few failures with
// what the client offered.
//
// The proxy is a library so that tests and the demo can run it in-process:
// New binds the listeners (so "127.0.0.1:0" works and Addr tells the port),
// Run serves until its context is cancelled and then drains.
package proxy
