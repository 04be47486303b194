// Command realclients checks real clients through two builds of the
// sidecar (issue #15: a change to the proxy's hot path must not make the
// Node ws and Chromium paths slower). It builds `wss-operator proxy` from a
// base revision (-base, default e3a0e15, the last sidecar before its splice
// path read, forwarded and waited in one RawConn.Read per message; cached per commit under
// ~/.cache/wss-operator/bench-bins/) and from the working tree, and runs,
// with each real client through each build to one plain ws:// echo backend
// on loopback:
//
//	handshake   open and close -handshakes WebSockets one after another
//	            (connect, TLS, upgrade, close)
//	echo-64B    -echoes round trips of a 64 B binary message over one WebSocket
//	echo-16KiB  the same with 16 KiB messages
//
// The clients are Node.js with the npm package ws (installed by `make
// test-deps-clients`, trusting the test CA through ws's ca option) and
// headless Chromium loading a page through the sidecar whose script runs
// the loop and writes its timings into the DOM, which --dump-dom prints
// (the certificate is accepted by its SPKI hash). Both clients time
// themselves. The backend (this program with -serve-backend) declines
// permessage-deflate.
//
// Base and head take turns in every repetition (base first in odd ones,
// head first in even ones), each client and build with a fresh sidecar
// process. The raw results go to -out (bench/results/realclients.json,
// benchresult.RealClients); bench/report renders BENCHMARKS.md's "Real
// clients" part from them. `make bench-realclients` runs both.
package main
