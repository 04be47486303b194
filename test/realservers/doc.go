// Package realservers is a corpus of real TLS servers from Debian packages
// (nginx, HAProxy, stunnel and PHP's stream_socket_server('tls://…')) with
// the faults people actually deploy, each probed on loopback with
// `wss-operator probe` logic (internal/probe) and its PEM set inspected with
// `wss-operator inspect` logic (internal/certcheck), so that the diagnosis is
// checked against what those servers really send, not against a Go server
// standing in for them.
//
// Every server runs in the foreground from a configuration written into
// t.TempDir(), on a free 127.0.0.1 port, and is killed by its process group
// on every path. A test whose server binary is missing fails with the `make
// test-deps` hint (set WSS_REALSERVERS_SKIP=1 to skip instead).
package realservers
