// Package realclients tests the sidecar (internal/proxy) with real clients
// that are not Go: OpenSSL's s_client failing in the ways real clients fail
// (old TLS versions, a CA it does not trust, no cipher suite in common, a
// host name the certificate does not cover), the sslscan scanner checking
// which suites each TLS profile offers, headless Chromium and Node's `ws`
// completing a wss:// exchange with permessage-deflate, and curl --http1.0.
//
// Everything runs on loopback. The clients come from Debian (openssl,
// sslscan, chromium, nodejs, curl) and npm (ws, in ~/.cache/wss-operator/npm);
// `make test-deps-clients` installs them. A test whose client is missing
// is skipped with a message naming that target. Every process a test
// starts runs in its own process group and is killed by that group's id
// when the test ends, whatever the outcome.
package realclients
