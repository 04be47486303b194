#!/usr/bin/env bash
# envtest-bins.sh builds the test control plane (kube-apiserver, etcd, kubectl)
# from source through the Go module proxy and prints the directory that holds
# them, suitable for KUBEBUILDER_ASSETS.
#
# No prebuilt binaries are downloaded: kube-apiserver and kubectl come from
# k8s.io/kubernetes (a scratch module that replaces every k8s.io/<staging>
# module with the matching v0.x.y release; see kube-build-lib.sh, which
# node-bins.sh shares), etcd from go.etcd.io/etcd/server/v3/etcdmain.
#
# The result is cached by version under $WSS_CACHE_DIR (default
# ~/.cache/wss-operator), outside the clone. The script is idempotent and safe
# to run concurrently: builds happen in a private temp dir under a flock and
# are moved into place atomically.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=hack/kube-build-lib.sh
. "${HERE}/kube-build-lib.sh"

ETCD_VERSION="${ETCD_VERSION:-3.6.8}"
DEST="${CACHE_ROOT}/envtest/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}-$(${GO} env GOOS)-$(${GO} env GOARCH)"

cache_begin envtest "${DEST}" kube-apiserver etcd kubectl
kube_build kube-apiserver kubectl

(
	mkdir -p "${WORK}/etcd" && cd "${WORK}/etcd"
	cat >go.mod <<GOMOD
module wss-operator.dev/envtest-etcd
go $(${GO} env GOVERSION | sed 's/^go//')
require go.etcd.io/etcd/server/v3 v${ETCD_VERSION}
GOMOD
	cat >main.go <<'GO'
// Command etcd is etcd's own main, built from the server module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
	echo "envtest-bins: building etcd v${ETCD_VERSION}" >&2
	GOFLAGS=-mod=mod ${GO} mod tidy >/dev/null 2>&1
	CGO_ENABLED=0 GOFLAGS=-mod=mod ${GO} build -trimpath -ldflags "-s -w" -o "${WORK}/bin/etcd" .
)

"${WORK}/bin/kube-apiserver" --version >&2
"${WORK}/bin/etcd" --version | head -1 >&2
cache_commit "${DEST}"
