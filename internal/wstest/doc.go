// Package wstest is the project's one WebSocket echo (Echo, on
// github.com/coder/websocket) and the loopback plumbing test servers run
// on: an HTTP or raw TCP server on 127.0.0.1 that stops with the test, a
// free port, and a server such as the sidecar run for the rest of a test.
//
// The tests, testenv (the demo's and the controller suites' echo backend)
// and the e2e echo image all echo with Echo. It depends on net/http and
// coder/websocket only, not on the testing package (TB is the part of
// testing.TB it uses), so that the image stays a small static binary.
package wstest
