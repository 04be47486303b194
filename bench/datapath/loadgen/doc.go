// Command loadgen is the load generator of the data-path benchmark
// (make bench). It drives one target — wss://127.0.0.1:PORT through a TLS
// proxy, or ws://127.0.0.1:PORT straight at the echo backend — in one mode
// and prints one JSON object:
//
//	handshake   full handshakes per second: TCP connect, TLS 1.3 with X25519
//	            and the pinned ECDSA P-256 certificate, WebSocket upgrade,
//	            close; -concurrency workers in parallel
//	resume      the same with a shared tls.ClientSessionCache, so every
//	            handshake after the first offers a session ticket (PSK with
//	            X25519); the result says what fraction really resumed
//	latency     message round trips of -size bytes on -concurrency
//	            connections, one message in flight each; percentiles from
//	            the sorted samples (nearest rank)
//	throughput  one-way MB/s, backend to client: -concurrency connections
//	            read /source?size=N for the window
//	idle        open -conns connections (from -sources, round robin), send
//	            one message on each, then hold them quiet; the server's RSS
//	            growth per connection
//	fanout      open -count connections to the backend's /broadcast (from
//	            -sources), which pushes a 64-byte timestamped message to
//	            every one every 100 ms; -senders (1%) of them also send a
//	            message every -send-interval, echoed back. Delivery latency
//	            (the payload's timestamp against the client's clock),
//	            messages received, the server's CPU per 1,000 of them, and
//	            what was delivered of what the backend promised: each push
//	            carries its round, and a connection counts at most one per
//	            whole -broadcast-interval of the window (pushes arriving up
//	            to -settle after it), so delivered never exceeds promised
//
// Every mode runs -warmup first, then measures for -duration, and stops
// earlier once -count operations were measured. A hard -timeout ends the
// process whatever happens. Server CPU time (/proc/PID/stat, children
// included, so nginx's master and worker count together) and RSS
// (/proc/PID/status VmRSS) are sampled at the window's edges for the
// -server-pids and, separately, the -aux-pids (the echo backend).
//
// Targets and source addresses must be loopback IPs (127.0.0.0/8, ::1) or
// "localhost": the load generator refuses anything else.
package main
