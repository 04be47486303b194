#!/usr/bin/env bash
# node-down.sh stops the node node-up.sh started and puts the host back as
# it was: pods are deleted through the API (so the kubelet tears them down),
# then every process is stopped by the PID node-up.sh recorded (never by
# name), leftover containers and their shims (found by our containerd
# socket on their command line) are killed, mounts under $RUN are
# unmounted, the kubelet's cgroups removed, the sysctls it changed restored,
# /var/log/containers links into $RUN removed and the network namespace
# deleted. Safe to run more than once and after a failed node-up.sh.
# KEEP_NODE_LOGS=1 keeps $RUN/logs.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=hack/node-env.sh
. "${HERE}/node-env.sh"
KUBECTL="${1:-}"

pid_of() { cat "${RUN}/pids/$1.pid" 2>/dev/null; }
alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
stop() { # NAME [TIMEOUT]: SIGTERM, then SIGKILL
	local pid i=0
	pid="$(pid_of "$1")" || return 0
	if alive "${pid}"; then
		kill -TERM "${pid}"
		while alive "${pid}" && ((i++ < ${2:-20} * 2)); do sleep 0.5; done
		alive "${pid}" && { node_log "$1 (${pid}) ignored SIGTERM; SIGKILL"; kill -KILL "${pid}"; }
	fi
	rm -f "${RUN}/pids/$1.pid"
	node_log "stopped $1 (${pid})"
}

[[ -d ${RUN} ]] || exit 0
if [[ -n ${KUBECTL} && -x ${KUBECTL} ]] && alive "$(pid_of kube-apiserver)" && alive "$(pid_of kubelet)"; then
	in_netns "${KUBECTL}" --kubeconfig "${NODE_KUBECONFIG}" delete pods --all --all-namespaces --wait=true --timeout=60s >/dev/null 2>&1 || true
fi
stop kubelet
if alive "$(pid_of containerd)"; then
	for t in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks kill -s SIGKILL "${t}" >/dev/null 2>&1; done
	sleep 1
	for t in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks delete -f "${t}" >/dev/null 2>&1; done
	for c in $(ctr_k8s containers ls -q 2>/dev/null); do ctr_k8s containers delete "${c}" >/dev/null 2>&1; done
fi
stop containerd
# containerd-shim-runc-v2 re-parents to init; ours name our socket.
for d in /proc/[0-9]*; do
	if tr '\0' ' ' <"${d}/cmdline" 2>/dev/null | grep -qF -- "-address ${CONTAINERD_SOCK} "; then
		node_log "killing leftover shim ${d#/proc/}"
		kill -KILL "${d#/proc/}" 2>/dev/null
	fi
done
stop kube-scheduler
stop kube-controller-manager
stop kube-apiserver
stop etcd
# Secret tmpfs, overlay root filesystems, sandbox shm: deepest first.
awk -v r="${RUN}" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
	umount "${m}" 2>/dev/null || umount -l "${m}"
done
# The kubelet's cgroups (cgroupfs driver): /kubepods in every hierarchy.
for root in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
	[[ -d ${root}kubepods ]] && find "${root}kubepods" -depth -type d -exec rmdir {} \; 2>/dev/null
done
if [[ -s ${RUN}/sysctl.orig ]]; then
	while IFS='=' read -r k v; do sysctl -qw "${k}=${v}"; done <"${RUN}/sysctl.orig"
	rm -f "${RUN}/sysctl.orig"
	node_log "host sysctls restored"
fi
for l in /var/log/containers/*.log; do
	[[ -L ${l} && $(readlink "${l}") == "${RUN}"/* ]] && rm -f "${l}"
done
[[ -e ${RUN}/created-var-log-containers ]] && rmdir /var/log/containers 2>/dev/null
if [[ -e ${RUN}/created-netns && -e /run/netns/${NODE_NETNS} ]]; then
	ip netns del "${NODE_NETNS}" && node_log "network namespace ${NODE_NETNS} deleted"
fi
if [[ ${KEEP_NODE_LOGS:-0} == 1 ]]; then
	find "${RUN}" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
else
	rm -rf "${RUN}"
	rmdir "${NODE_DIR}" 2>/dev/null
fi
node_log "down"
