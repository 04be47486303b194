# kube-build-lib.sh is sourced by envtest-bins.sh and node-bins.sh: the one
# way this project builds Kubernetes binaries from source through the Go
# module proxy and caches them by version, outside the clone.
#
#   cache_begin NAME DEST FILE...   print DEST and exit when every FILE is in
#                                   it; else take NAME's flock (waiting for a
#                                   concurrent build), re-check, and set WORK
#                                   to a private build directory ($WORK/bin
#                                   is what cache_commit moves into place)
#   kube_build CMD...               build k8s.io/kubernetes/cmd/CMD at
#                                   $KUBE_VERSION into $WORK/bin, from a
#                                   scratch module that replaces every staging
#                                   module with its v0.x.y release and stamps
#                                   the version as a release build does
#   cache_commit DEST               move $WORK/bin to DEST atomically
#
# The builds are static (CGO_ENABLED=0) and -trimpath, so kube-apiserver,
# kubelet and the controllers share one Go build cache.

KUBE_VERSION="${KUBE_VERSION:-1.36.3}"
CACHE_ROOT="${WSS_CACHE_DIR:-${HOME}/.cache/wss-operator}"
GO="${GO:-go}"

cache_complete() { # DEST FILE...
	local dest=$1 f
	shift
	for f in "$@"; do [[ -x "${dest}/${f}" ]] || return 1; done
}

cache_begin() { # NAME DEST FILE...
	local name=$1 dest=$2
	shift 2
	if cache_complete "${dest}" "$@"; then
		echo "${dest}"
		exit 0
	fi
	mkdir -p "${CACHE_ROOT}/${name}"
	exec 9>"${CACHE_ROOT}/${name}/.lock"
	flock 9
	if cache_complete "${dest}" "$@"; then # another process finished while we waited
		echo "${dest}"
		exit 0
	fi
	WORK="$(mktemp -d "${CACHE_ROOT}/${name}/.build.XXXXXX")"
	# shellcheck disable=SC2064 # expand WORK now
	trap "rm -rf '${WORK}'" EXIT
	mkdir -p "${WORK}/bin"
}

kube_build() { # CMD...
	local kmod staging sv ldflags pkg cmd
	# The staging modules are the ones k8s.io/kubernetes replaces with
	# ./staging/src/...; read them from its go.mod so a version bump needs no edit.
	kmod="$(GOFLAGS=-mod=mod ${GO} mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
	staging="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "${kmod}")"
	[[ -n "${staging}" ]] || { echo "kube-build: no staging modules found in ${kmod}" >&2; return 1; }
	sv="v0.${KUBE_VERSION#1.}"
	# Without these, binaries report v0.0.0-master+$Format:%H$ (and kubelet
	# registers its node with that version).
	ldflags="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X ${pkg}.gitVersion=v${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=$(cut -d. -f2 <<<"${KUBE_VERSION}")"
		ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
	done
	mkdir -p "${WORK}/kube"
	(
		cd "${WORK}/kube"
		{
			echo "module wss-operator.dev/kube-bins"
			echo "go $(${GO} env GOVERSION | sed 's/^go//')"
			echo "require k8s.io/kubernetes v${KUBE_VERSION}"
			for m in ${staging}; do echo "replace ${m} => ${m} ${sv}"; done
		} >go.mod
		{
			printf '//go:build tools\n\npackage tools\n\nimport (\n'
			for cmd in "$@"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "${cmd}"; done
			printf ')\n'
		} >tools.go
		echo "kube-build: resolving k8s.io/kubernetes v${KUBE_VERSION} (${sv} staging modules)" >&2
		GOFLAGS=-mod=mod ${GO} mod tidy -e >/dev/null 2>&1 || true
		for cmd in "$@"; do
			local start=${SECONDS}
			echo "kube-build: building ${cmd} v${KUBE_VERSION}" >&2
			CGO_ENABLED=0 GOFLAGS=-mod=mod ${GO} build -trimpath -ldflags "${ldflags}" -o "${WORK}/bin/${cmd}" "k8s.io/kubernetes/cmd/${cmd}"
			echo "kube-build: built ${cmd} in $((SECONDS - start))s" >&2
		done
	)
}

cache_commit() { # DEST
	local dest=$1
	# Rename of a directory on the same filesystem: readers see all or nothing.
	rm -rf "${dest}.old"
	[[ -d "${dest}" ]] && mv "${dest}" "${dest}.old"
	mv "${WORK}/bin" "${dest}"
	rm -rf "${dest}.old"
	echo "${dest}"
}
