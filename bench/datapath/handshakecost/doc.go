// Command handshakecost measures the limit of the handshake figures: the
// CPU cost of Go's own server side of a TLS 1.3 handshake, measured the way
// crypto/tls's BenchmarkHandshakeServer measures it. One real handshake
// between a crypto/tls client and server is recorded on loopback; then the
// server side alone is replayed in a loop against the recorded client
// bytes, so only the server's work is timed (no network, no client, no
// HTTP). With GOMAXPROCS=1 and the process pinned to one core, handshakes
// per second is handshakes per core.
//
// It uses the benchmark's own certificate and key (ECDSA P-256), X25519 and
// TLS_AES_128_GCM_SHA256, and measures a resumed handshake (PSK with
// X25519) the same way. Replaying needs a server whose randomness repeats,
// hence the zero random source and cryptocustomrand=1, as in crypto/tls's
// own tests. It also times the primitives a handshake is made of (X25519
// key generation plus shared secret, ECDSA P-256 sign and verify), for
// comparison with `openssl speed`.
//
// Output: one JSON object on stdout.
package main
