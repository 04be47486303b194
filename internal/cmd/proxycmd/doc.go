// Package proxycmd is `wss-operator proxy`: command-line flags for the
// TLS-terminating sidecar in internal/proxy. The operator injects this
// subcommand of its own image into workloads; users can run it standalone in
// front of any ws:// server.
package proxycmd
