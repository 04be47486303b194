# node-env.sh is sourced by node-up.sh, node-down.sh and node-e2e.sh: where
# the e2e node lives and how to reach it. Every component listens on
# 127.0.0.1 inside the network namespace $NODE_NETNS, which has only `lo`.

NODE_DIR="${WSS_NODE_DIR:-/tmp/wss-node}"
NODE_NETNS="${WSS_NODE_NETNS:-wss-node}"
NODE_NAME=127.0.0.1 # --hostname-override: the only way to a loopback node address
API_PORT=6443
ETCD_PORT=2379
ETCD_PEER_PORT=2380
KUBELET_PORT=10250
KUBELET_HEALTHZ_PORT=10248
KCM_PORT=10257
SCHEDULER_PORT=10259
SERVICE_CIDR=10.96.0.0/24 # allocated from, never dialled: no kube-proxy, no route
KUBELET_SYNC_FREQUENCY="${KUBELET_SYNC_FREQUENCY:-10s}" # bounds how fast a renewed Secret reaches the pod
PAUSE_IMAGE=wss-operator.local/pause:v1

RUN="${NODE_DIR}/run"
PKI="${RUN}/pki"
CONTAINERD_SOCK="${RUN}/containerd/containerd.sock"
NODE_KUBECONFIG="${PKI}/admin.kubeconfig"
# The kubelet's host sysctls (vm.overcommit_memory, kernel.panic, ...) are
# recorded here before it starts and restored by node-down.sh.
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

# in_netns runs a command in the node's network namespace. nsenter --net
# only: `ip netns exec` would also remount /sys (losing /sys/fs/cgroup) and
# give the command a mount namespace of its own (the kubelet's Secret tmpfs
# would be invisible to runc).
in_netns() { nsenter "--net=/run/netns/${NODE_NETNS}" "$@"; }
ctr_k8s() { ctr --address "${CONTAINERD_SOCK}" --namespace k8s.io "$@"; }
node_log() { echo "node: $*" >&2; }
