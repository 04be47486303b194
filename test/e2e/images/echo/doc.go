// Command echo is the e2e's plain ws:// backend, the stand-in for the
// samples' jmalloc/echo-server (config/samples-hostnetwork): it listens on
// :$PORT (default 8080), echoes every WebSocket message on any path with
// the tests' own echo (internal/wstest), and answers any other request 200
// (the readiness probe). It does not import testenv: that package brings
// envtest, whose init writes to /tmp, and the sample's pod has a read-only
// root filesystem. `make e2e` builds it into an image with tools/mkimage.
package main
