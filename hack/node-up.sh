#!/usr/bin/env bash
# node-up.sh starts a real one-node Kubernetes cluster for `make e2e`: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, containerd (with
# runc) and a kubelet, every one in the network namespace $NODE_NETNS that
# has only `lo`, listening on 127.0.0.1. Pods run with hostNetwork (there is
# no CNI and no kube-proxy), so a pod's IP is 127.0.0.1.
#
#   node-up.sh ENVTEST_BINS NODE_BINS PAUSE_IMAGE_TAR
#
# Needs root, Linux cgroups and Debian's containerd and runc (installed with
# apt-get when missing). Stop it with node-down.sh, which restores every host
# setting the kubelet changed. PIDs are in $RUN/pids, logs in $RUN/logs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=hack/node-env.sh
. "${HERE}/node-env.sh"
ENVTEST_BINS=$1 NODE_BINS=$2 PAUSE_TAR=$3
T0=${SECONDS}

[[ $(id -u) == 0 ]] || { node_log "needs root (kubelet, containerd, mounts, cgroups)"; exit 1; }
[[ $(uname -s) == Linux ]] || { node_log "needs Linux"; exit 1; }
if ! command -v containerd >/dev/null || ! command -v runc >/dev/null; then
	node_log "installing Debian's containerd and runc"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd runc >/dev/null
fi
if [[ -d ${RUN}/pids ]] && compgen -G "${RUN}/pids/*.pid" >/dev/null; then
	node_log "a node is already up in ${RUN}; stop it with hack/node-down.sh"
	exit 1
fi
mkdir -p "${RUN}"/{pids,logs,pki,etcd,apiserver,containerd,cni/conf,cni/bin,kubelet}
# A start that fails half way stops what it started and restores the host.
trap 'rc=$?; if ((rc != 0)); then node_log "start failed; stopping"; KEEP_NODE_LOGS=1 "${HERE}/node-down.sh" "${ENVTEST_BINS}/kubectl"; fi' EXIT

# The network namespace: only lo, so nothing in it can reach anything else.
[[ -e /run/netns/${NODE_NETNS} ]] || { ip netns add "${NODE_NETNS}" && touch "${RUN}/created-netns"; }
ip -n "${NODE_NETNS}" link set lo up
links="$(ip -n "${NODE_NETNS}" -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
[[ ${links} == "lo " ]] || { node_log "network namespace ${NODE_NETNS} has more than lo: ${links}"; exit 1; }
[[ -d /var/log/containers ]] || touch "${RUN}/created-var-log-containers"
[[ -s ${RUN}/sysctl.orig ]] || for k in "${SYSCTLS[@]}"; do echo "${k}=$(sysctl -n "${k}")"; done >"${RUN}/sysctl.orig"

start() { # NAME CMD...: start detached in the namespace, record the PID
	local name=$1
	shift
	setsid nsenter "--net=/run/netns/${NODE_NETNS}" "$@" >"${RUN}/logs/${name}.log" 2>&1 </dev/null &
	echo $! >"${RUN}/pids/${name}.pid"
}
wait_for() { # WHAT TIMEOUT CMD...
	local what=$1 timeout=$2 start=${SECONDS}
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS - start >= timeout)); then
			node_log "timed out after ${timeout}s waiting for ${what}; logs in ${RUN}/logs"
			exit 1
		fi
		sleep 0.5
	done
	node_log "${what} after $((SECONDS - T0))s"
}

# PKI: one CA signs the API server's and the kubelet's serving certificates
# (loopback names only); a service account key pair; an admin token.
if [[ ! -s ${NODE_KUBECONFIG} ]]; then
	ssl() { openssl "$@" 2>/dev/null; }
	ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "${PKI}/ca.key" -out "${PKI}/ca.crt" -days 7 -subj /CN=wss-e2e-ca
	for who in apiserver kubelet; do
		ssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "${PKI}/${who}.key" -out "${PKI}/${who}.csr" -subj "/CN=${who}"
	done
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n' >"${PKI}/apiserver.ext"
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"${PKI}/kubelet.ext"
	for who in apiserver kubelet; do
		ssl x509 -req -in "${PKI}/${who}.csr" -CA "${PKI}/ca.crt" -CAkey "${PKI}/ca.key" -CAcreateserial -days 7 -extfile "${PKI}/${who}.ext" -out "${PKI}/${who}.crt"
	done
	ssl genrsa -out "${PKI}/sa.key" 2048
	ssl rsa -in "${PKI}/sa.key" -pubout -out "${PKI}/sa.pub"
	token="$(openssl rand -hex 24)"
	echo "${token},wss-e2e-admin,wss-e2e-admin,system:masters" >"${PKI}/tokens.csv"
	cat >"${NODE_KUBECONFIG}" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: wss-e2e
  cluster: {server: "https://127.0.0.1:${API_PORT}", certificate-authority-data: "$(base64 -w0 <"${PKI}/ca.crt")"}
users:
- name: admin
  user: {token: "${token}"}
contexts:
- name: wss-e2e
  context: {cluster: wss-e2e, user: admin}
current-context: wss-e2e
KUBECONFIG
	chmod 600 "${NODE_KUBECONFIG}" "${PKI}"/*.key
fi

start etcd "${ENVTEST_BINS}/etcd" --name wss-e2e --data-dir "${RUN}/etcd" --unsafe-no-fsync \
	--listen-client-urls "http://127.0.0.1:${ETCD_PORT}" --advertise-client-urls "http://127.0.0.1:${ETCD_PORT}" \
	--listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" \
	--initial-cluster "wss-e2e=http://127.0.0.1:${ETCD_PEER_PORT}"

# containerd: a private root, state and socket; one syntactically valid CNI
# conflist (loopback) so the runtime reports NetworkReady and the node turns
# Ready, though CNI is never called (every pod is hostNetwork).
cat >"${RUN}/cni/conf/10-loopback.conflist" <<'CNI'
{"cniVersion": "1.0.0", "name": "wss-e2e-loopback", "plugins": [{"type": "loopback"}]}
CNI
cat >"${RUN}/containerd/config.toml" <<TOML
version = 2
root = "${RUN}/containerd/root"
state = "${RUN}/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "${CONTAINERD_SOCK}"
[ttrpc]
  address = "${CONTAINERD_SOCK}.ttrpc"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  # Without CAP_SYS_RESOURCE runc cannot give the sandbox oom_score_adj -998.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${RUN}/cni/bin"
    conf_dir = "${RUN}/cni/conf"
TOML
start containerd containerd --config "${RUN}/containerd/config.toml"

start kube-apiserver "${ENVTEST_BINS}/kube-apiserver" --etcd-servers "http://127.0.0.1:${ETCD_PORT}" \
	--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "${API_PORT}" \
	--tls-cert-file "${PKI}/apiserver.crt" --tls-private-key-file "${PKI}/apiserver.key" --client-ca-file "${PKI}/ca.crt" \
	--token-auth-file "${PKI}/tokens.csv" --authorization-mode Node,RBAC --allow-privileged \
	--service-cluster-ip-range "${SERVICE_CIDR}" \
	--service-account-issuer "https://127.0.0.1:${API_PORT}" --service-account-key-file "${PKI}/sa.pub" \
	--service-account-signing-key-file "${PKI}/sa.key" \
	--kubelet-preferred-address-types InternalIP,Hostname --kubelet-certificate-authority "${PKI}/ca.crt" \
	--cert-dir "${RUN}/apiserver"

wait_for "containerd" 60 ctr_k8s version
ctr_k8s images import "${PAUSE_TAR}" >/dev/null
wait_for "kube-apiserver ready" 120 in_netns curl -fsS --cacert "${PKI}/ca.crt" "https://127.0.0.1:${API_PORT}/readyz"

# The controller manager publishes kube-root-ca.crt (the CA pods trust for
# the API server) and signs service account tokens.
start kube-controller-manager "${NODE_BINS}/kube-controller-manager" --kubeconfig "${NODE_KUBECONFIG}" \
	--bind-address 127.0.0.1 --secure-port "${KCM_PORT}" --leader-elect=false \
	--use-service-account-credentials=false --service-account-private-key-file "${PKI}/sa.key" \
	--root-ca-file "${PKI}/ca.crt"
start kube-scheduler "${NODE_BINS}/kube-scheduler" --kubeconfig "${NODE_KUBECONFIG}" \
	--bind-address 127.0.0.1 --secure-port "${SCHEDULER_PORT}" --leader-elect=false

cat >"${RUN}/kubelet/config.yaml" <<KUBELET
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 is refused by default since v1.35; this machine has it.
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://${CONTAINERD_SOCK}
imageServiceEndpoint: unix://${CONTAINERD_SOCK}
address: 127.0.0.1
port: ${KUBELET_PORT}
readOnlyPort: 0
tlsCertFile: ${PKI}/kubelet.crt
tlsPrivateKeyFile: ${PKI}/kubelet.key
healthzBindAddress: 127.0.0.1
healthzPort: ${KUBELET_HEALTHZ_PORT}
# Only the API server on 127.0.0.1 in this namespace reaches the port.
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
podLogsDir: ${RUN}/pod-logs
volumePluginDir: ${RUN}/kubelet/volume-plugins
failSwapOn: false
maxPods: 20
# Never garbage-collect the imported images: nothing can be pulled again.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
resolvConf: /etc/resolv.conf
# How often pods are synced, which bounds how fast a changed Secret reaches
# a running container (the upstream default is 1m).
syncFrequency: ${KUBELET_SYNC_FREQUENCY}
KUBELET
start kubelet "${NODE_BINS}/kubelet" --config "${RUN}/kubelet/config.yaml" --kubeconfig "${NODE_KUBECONFIG}" \
	--root-dir "${RUN}/kubelet/root" --cert-dir "${RUN}/kubelet/pki" --hostname-override "${NODE_NAME}" --v 2

k() { in_netns "${ENVTEST_BINS}/kubectl" --kubeconfig "${NODE_KUBECONFIG}" "$@"; }
wait_for "node registered" 120 k get node "${NODE_NAME}"
wait_for "node Ready" 180 k wait --for=condition=Ready "node/${NODE_NAME}" --timeout=1s
wait_for "default ServiceAccount" 60 k get serviceaccount default
node_log "up in $((SECONDS - T0))s: KUBECONFIG=${NODE_KUBECONFIG}, network namespace ${NODE_NETNS}"
