// Package testenv starts a real local control plane for tests and the demo:
// kube-apiserver and etcd built from source by hack/envtest-bins.sh, our CRDs
// plus cert-manager's (from the pinned module's deploy/crds), and
// cert-manager's own controllers running in this process, so Certificates are
// really issued by the SelfSigned and CA issuers without any network.
//
// It is the base of every envtest suite and of `make demo`.
package testenv
