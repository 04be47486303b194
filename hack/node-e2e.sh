#!/usr/bin/env bash
# node-e2e.sh is `make e2e`: it builds what the node runs that `make image`
# does not (the pause and echo images, with tools/mkimage; the e2e test
# binary), starts the node (node-up.sh), runs test/e2e inside the node's
# network namespace, and always stops the node and restores the host
# (node-down.sh), whatever way it exits.
#
# Needs root on Linux. IMG and IMAGE_TAR name the operator image (make
# image), HELM the helm binary (make helm).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "${HERE}/.." && pwd)"
# shellcheck source=hack/node-env.sh
. "${HERE}/node-env.sh"
GO="${GO:-go}"
: "${IMG:?IMG is the operator image (make e2e sets it)}" "${IMAGE_TAR:?}" "${HELM:?}"
[[ $(id -u) == 0 ]] || { echo "e2e: needs root (kubelet, containerd, mounts, cgroups); make demo is the tour without them" >&2; exit 1; }
T0=${SECONDS}
stage() { echo "e2e: $1 in $((SECONDS - T0))s" >&2; T0=${SECONDS}; }

cd "${ROOT}"
# One node per machine: the kubelet owns /kubepods in every cgroup hierarchy.
mkdir -p "$(dirname "${NODE_DIR}")"
exec 8>"${NODE_DIR}.lock"
flock -n 8 || { echo "e2e: another make e2e is running (${NODE_DIR}.lock); waiting for it" >&2; flock 8; }
ENVTEST_BINS="$("${HERE}/envtest-bins.sh")"
NODE_BINS="$("${HERE}/node-bins.sh")"
stage "node binaries ready (${NODE_BINS})"

OUT="${ROOT}/bin/e2e"
mkdir -p "${OUT}"
for p in pause echo; do
	CGO_ENABLED=0 GOOS=linux ${GO} build -trimpath -ldflags "-s -w" -o "${OUT}/${p}" "./test/e2e/images/${p}"
done
${GO} build -o "${OUT}/mkimage" ./tools/mkimage
"${OUT}/mkimage" -o "${OUT}/pause-image.tar" -tag "${PAUSE_IMAGE}" -exe "${OUT}/pause=/pause" -entrypoint /pause
"${OUT}/mkimage" -o "${OUT}/echo-image.tar" -tag wss-operator.local/e2e-echo:v1 -exe "${OUT}/echo=/echo" -entrypoint /echo
${GO} test -c -tags e2e -o "${OUT}/e2e.test" ./test/e2e
stage "pause and echo images and the e2e test built"

trap '"${HERE}/node-down.sh" "${ENVTEST_BINS}/kubectl"' EXIT
trap 'exit 130' INT TERM
"${HERE}/node-up.sh" "${ENVTEST_BINS}" "${NODE_BINS}" "${OUT}/pause-image.tar"
stage "node up"

in_netns env \
	WSS_E2E_KUBECONFIG="${NODE_KUBECONFIG}" WSS_E2E_KUBECTL="${ENVTEST_BINS}/kubectl" WSS_E2E_HELM="${HELM}" \
	WSS_E2E_CTR_ADDRESS="${CONTAINERD_SOCK}" WSS_E2E_API_PORT="${API_PORT}" \
	WSS_E2E_IMAGE="${IMG}" WSS_E2E_IMAGE_TAR="${IMAGE_TAR}" WSS_E2E_ECHO_IMAGE_TAR="${OUT}/echo-image.tar" \
	WSS_E2E_TIMINGS="${OUT}/timings.txt" \
	"${OUT}/e2e.test" -test.v -test.count=1 -test.timeout 30m
stage "e2e test passed"
