#!/usr/bin/env bash
# envtest-bins.sh builds the test control plane (kube-apiserver, etcd, kubectl)
# from source through the Go module proxy and prints the directory that holds
# them, suitable for KUBEBUILDER_ASSETS.
#
# No prebuilt binaries are downloaded: kube-apiserver and kubectl come from
# k8s.io/kubernetes (a scratch module that replaces every k8s.io/<staging>
# module with the matching v0.x.y release), etcd from
# go.etcd.io/etcd/server/v3/etcdmain.
#
# The result is cached by version under $WSS_CACHE_DIR (default
# ~/.cache/wss-operator), outside the clone. The script is idempotent and safe
# to run concurrently: builds happen in a private temp dir under a flock and
# are moved into place atomically.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-3.6.8}"
CACHE_ROOT="${WSS_CACHE_DIR:-${HOME}/.cache/wss-operator}"
DEST="${CACHE_ROOT}/envtest/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}-$(go env GOOS)-$(go env GOARCH)"
GO="${GO:-go}"

log() { echo "envtest-bins: $*" >&2; }

complete() {
	[[ -x "${DEST}/kube-apiserver" && -x "${DEST}/etcd" && -x "${DEST}/kubectl" ]]
}

if complete; then
	echo "${DEST}"
	exit 0
fi

mkdir -p "${CACHE_ROOT}/envtest"
exec 9>"${CACHE_ROOT}/envtest/.lock"
flock 9
if complete; then # another process finished while we waited
	echo "${DEST}"
	exit 0
fi

WORK="$(mktemp -d "${CACHE_ROOT}/envtest/.build.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
mkdir -p "${WORK}/bin"

# The staging modules are the ones k8s.io/kubernetes replaces with ./staging/src/...;
# read them from its go.mod so a version bump needs no edit here.
KMOD="$(GOFLAGS=-mod=mod ${GO} mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
STAGING="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "${KMOD}")"
[[ -n "${STAGING}" ]] || { log "no staging modules found in ${KMOD}"; exit 1; }
STAGING_VERSION="v0.${KUBE_VERSION#1.}"

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X ${pkg}.gitVersion=v${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=$(cut -d. -f2 <<<"${KUBE_VERSION}")"
	ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done

(
	mkdir -p "${WORK}/kube" && cd "${WORK}/kube"
	{
		echo "module wss-operator.dev/envtest-kube"
		echo "go $(${GO} env GOVERSION | sed 's/^go//')"
		echo "require k8s.io/kubernetes v${KUBE_VERSION}"
		for m in ${STAGING}; do echo "replace ${m} => ${m} ${STAGING_VERSION}"; done
	} >go.mod
	cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
	log "resolving k8s.io/kubernetes v${KUBE_VERSION} (${STAGING_VERSION} staging modules)"
	GOFLAGS=-mod=mod ${GO} mod tidy -e >/dev/null 2>&1 || true
	log "building kube-apiserver v${KUBE_VERSION} (takes several minutes on 2 cores)"
	CGO_ENABLED=0 GOFLAGS=-mod=mod ${GO} build -trimpath -ldflags "${ldflags}" -o "${WORK}/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
	log "building kubectl v${KUBE_VERSION}"
	CGO_ENABLED=0 GOFLAGS=-mod=mod ${GO} build -trimpath -ldflags "${ldflags}" -o "${WORK}/bin/kubectl" k8s.io/kubernetes/cmd/kubectl
)

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
	log "building etcd v${ETCD_VERSION}"
	GOFLAGS=-mod=mod ${GO} mod tidy >/dev/null 2>&1
	CGO_ENABLED=0 GOFLAGS=-mod=mod ${GO} build -trimpath -ldflags "-s -w" -o "${WORK}/bin/etcd" .
)

"${WORK}/bin/kube-apiserver" --version >&2
"${WORK}/bin/etcd" --version | head -1 >&2

# Move into place atomically: rename of a directory on the same filesystem.
rm -rf "${DEST}.old"
[[ -d "${DEST}" ]] && mv "${DEST}" "${DEST}.old"
mv "${WORK}/bin" "${DEST}"
rm -rf "${DEST}.old"
echo "${DEST}"
