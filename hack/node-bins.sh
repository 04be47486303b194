#!/usr/bin/env bash
# node-bins.sh builds the node side of the e2e cluster — kubelet,
# kube-controller-manager and kube-scheduler at $KUBE_VERSION — from source
# through the Go module proxy, and prints the directory that holds them.
# kube-apiserver, etcd and kubectl come from envtest-bins.sh.
#
# Cached by version under $WSS_CACHE_DIR (default ~/.cache/wss-operator)
# in node/<version>-<os>-<arch>, outside the clone; idempotent and safe to run
# concurrently (flock, atomic rename), like envtest-bins.sh, whose build
# logic it shares (kube-build-lib.sh). It runs after envtest-bins.sh so the
# Go build cache the API server left behind is reused: about 5 minutes on
# 2 cores when that cache is warm, seconds when this cache is.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=hack/kube-build-lib.sh
. "${HERE}/kube-build-lib.sh"

BINS=(kubelet kube-controller-manager kube-scheduler)
DEST="${CACHE_ROOT}/node/${KUBE_VERSION}-$(${GO} env GOOS)-$(${GO} env GOARCH)"

cache_begin node "${DEST}" "${BINS[@]}"
"${HERE}/envtest-bins.sh" >/dev/null # shares its packages; the build cache makes ours shorter
kube_build "${BINS[@]}"
"${WORK}/bin/kubelet" --version >&2
cache_commit "${DEST}"
