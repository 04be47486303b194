// Package deploytest checks the ways wss-operator is shipped, against a real
// local control plane (internal/testenv): the Helm chart charts/wss-operator
// (lint, template with default and every value, schema rejections, the
// ClusterRole and CRD generated from config/, helm install and uninstall with
// the pinned bin/helm), the kustomize configuration (config/default,
// config/prometheus and config/samples, rendered with kustomize's Go library
// and server-side applied), and the image build files (Dockerfile,
// .dockerignore). It holds only tests.
package deploytest
