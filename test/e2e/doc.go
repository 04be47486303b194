// Package e2e is the end-to-end test on a real node: `make e2e` builds the
// operator image without Docker (make image), kubelet, kube-controller-manager
// and kube-scheduler from source (hack/node-bins.sh), starts a one-node
// cluster with Debian's containerd in a network namespace that has only
// `lo` (hack/node-up.sh) and runs this test inside that namespace
// (hack/node-e2e.sh).
//
// The test imports the images into containerd, installs the Helm chart (the
// manager runs as a pod of the image), runs cert-manager's controllers in its
// own process (internal/testenv.RunCertManager), applies
// config/samples-hostnetwork and checks, on real pods: the injected native
// sidecar, the Ready pod, the live probe, a wss:// round trip trusting only
// the Secret's ca.crt, a certificate renewal reaching the running sidecar
// while a WebSocket stays open, a refused broken certificate, and an exact
// restore of the Deployment when the WSSEndpoint is deleted. It prints every
// stage with its duration.
//
// The test files carry the build tag e2e, so `go test ./...` and `make test`
// never build them; run without the node (WSS_E2E_* unset), the test fails
// and says to use `make e2e`.
package e2e
