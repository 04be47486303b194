// Command idlefloor measures the floor of the idle-memory figure: the
// resident memory an idle, TLS-terminated and proxied connection costs a Go
// process that keeps only what crypto/tls and net need for it.
//
// It starts two processes of its own on loopback: an echo backend and the
// measured server. The server terminates TLS 1.3 with the benchmark's
// certificate and key (ECDSA P-256, X25519, TLS_AES_128_GCM_SHA256, ALPN
// http/1.1; bench/datapath/internal/benchtls), dials one backend TCP
// connection per client connection, relays one 64-byte message to the
// backend and its echo back (so crypto/tls has read and written records, as
// on a WebSocket that carried a message), and then keeps the two
// connections referenced only: no goroutine, no buffer, no state of its own
// per connection. What the server's RSS grows by per connection is then
// what Go's crypto/tls and net cost (the *tls.Conn with its cipher state
// and record buffers, two netFDs with their poll descriptors and
// addresses) plus the heap's headroom, which no Go proxy can go below.
//
// It is measured the way the load generator's idle mode measures a target
// (bench/datapath/run.sh's idle figure): the server starts fresh, its VmRSS
// is read, -count connections are opened (-concurrency at a time), and
// after -settle VmRSS is read again; no garbage collection is forced.
//
// Output: one JSON object (benchresult.Run, target "gofloor", mode "idle")
// on stdout or into -out.
package main
