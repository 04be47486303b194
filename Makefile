# wss-operator Makefile. `make help` lists the targets.

IMG ?= ghcr.io/wss-operator/wss-operator:$(VERSION)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -s -w -X github.com/wss-operator/wss-operator/internal/version.Version=$(VERSION) -X github.com/wss-operator/wss-operator/internal/version.Commit=$(COMMIT)

# Test control plane versions, built from source by hack/envtest-bins.sh into
# $(WSS_CACHE_DIR) (default ~/.cache/wss-operator), outside the clone.
KUBE_VERSION ?= 1.36.3
ETCD_VERSION ?= 3.6.8
export KUBE_VERSION ETCD_VERSION

GO ?= go
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

## Tool binaries, pinned and installed into bin/ on first use.
LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
CONTROLLER_TOOLS_VERSION ?= v0.21.0
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
GOLANGCI_LINT_VERSION ?= v2.15.0
HELM ?= $(LOCALBIN)/helm
# v3.21 is the Helm release built against Kubernetes 1.36 (k8s.io/client-go v0.36), like this project.
HELM_VERSION ?= v3.21.4
# A `go install`ed helm defaults to Kubernetes 1.20 for `helm template`/`lint`; stamp it as a release build would be.
HELM_LDFLAGS := -ldflags "-X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=36 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=36"
CONTAINER_TOOL ?= docker

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRD and RBAC manifests from the Go markers.
	$(CONTROLLER_GEN) rbac:roleName=wss-operator-manager crd paths="./api/..." paths="./internal/cmd/managercmd/..." paths="./controllers/..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	@hack/helm-crds.sh

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run go fmt.
	$(GO) fmt ./...

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint with .golangci.yml (linters, gofmt, goimports grouping).
	$(GOLANGCI_LINT) run ./...

# Packages that need no API server: the race detector runs over them in
# make test-race (the envtest packages run without it in make test).
RACE_PKGS = $(shell $(GO) list ./... | grep -v -e /controllers -e /api/ -e /internal/testenv -e /test/deploy -e /test/e2e -e /demo -e /bench/controlplane -e /internal/cmd/managercmd)

.PHONY: test-race
test-race: test-deps test-deps-clients ## Run the unit, data-path, real-server and real-client tests with the race detector (needs cgo: gcc).
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m $(RACE_PKGS) $(TEST_ARGS)

FUZZTIME ?= 10s
.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME (default 10s) each, seeded from its testdata/ (hack/fuzz.sh: Go 1.26's fuzztime-boundary race gets one rerun).
	GO=$(GO) hack/fuzz.sh $(FUZZTIME)

.PHONY: envtest
envtest: ## Build (once, cached by version) kube-apiserver, etcd and kubectl from source for the tests.
	@hack/envtest-bins.sh >/dev/null

# Debian packages of the real-server corpus (test/realservers): binary:package.
TEST_DEPS := nginx:nginx haproxy:haproxy stunnel4:stunnel4 php:php-cli openssl:openssl

.PHONY: test-deps
test-deps: ## Install the real servers of test/realservers (nginx, HAProxy, stunnel, PHP, openssl) with apt-get when missing.
	@missing=(); for dep in $(TEST_DEPS); do \
		bin=$${dep%%:*}; pkg=$${dep##*:}; \
		PATH="$$PATH:/usr/sbin:/sbin" command -v $$bin >/dev/null || missing+=($$pkg); \
	done; \
	if (($${#missing[@]})); then \
		echo "test-deps: installing $${missing[*]}"; \
		[[ $$(id -u) == 0 ]] && sudo= || sudo=sudo; \
		$$sudo apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends "$${missing[@]}" >/dev/null; \
	fi

.PHONY: test-realservers
test-realservers: test-deps ## Only the real-server corpus: probe and inspect against nginx, HAProxy, stunnel and PHP on loopback (~10s).
	$(GO) test ./test/realservers/ -count=1 $(TEST_ARGS)

# The real clients of test/realclients: Debian packages (command:package)
# and the npm package ws, installed into a cache outside the clone.
CLIENT_DEBS ?= openssl:openssl sslscan:sslscan chromium:chromium node:nodejs npm:npm curl:curl
WS_NPM_VERSION ?= 8.23.0
NPM_CACHE_DIR ?= $(or $(WSS_CACHE_DIR),$(HOME)/.cache/wss-operator)/npm
export WSS_NPM_DIR := $(NPM_CACHE_DIR)

.PHONY: test-deps-clients
test-deps-clients: ## Install the real clients test/realclients uses when missing: openssl, sslscan, chromium, nodejs, npm, curl (apt-get) and ws (npm, into ~/.cache/wss-operator/npm).
	@missing=""; for cp in $(CLIENT_DEBS); do command -v "$${cp%%:*}" >/dev/null 2>&1 || missing="$$missing $${cp#*:}"; done; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "installing$$missing"; \
		$$sudo apt-get update && $$sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; fi
	@if [ "$$(node -p "try{require('$(NPM_CACHE_DIR)/node_modules/ws/package.json').version}catch(e){''}" 2>/dev/null)" != "$(WS_NPM_VERSION)" ]; then \
		mkdir -p $(NPM_CACHE_DIR) && \
		npm install --prefix $(NPM_CACHE_DIR) --no-audit --no-fund --no-save ws@$(WS_NPM_VERSION); fi

.PHONY: node-bins
node-bins: envtest ## Build (once, cached by version) kubelet, kube-controller-manager and kube-scheduler from source for make e2e.
	@hack/node-bins.sh >/dev/null

.PHONY: e2e
e2e: image helm node-bins ## End to end on a real one-node cluster in a network namespace with only lo (root, Linux; installs Debian's containerd and runc if missing).
	GO=$(GO) IMG=$(IMG) IMAGE_TAR=$(IMAGE_TAR) HELM=$(HELM) hack/node-e2e.sh

.PHONY: test
test: envtest helm vet test-deps test-deps-clients ## Run all tests against a real kube-apiserver + etcd, real cert-manager controllers, real servers and real clients.
	KUBEBUILDER_ASSETS="$$(hack/envtest-bins.sh)" $(GO) test ./... -count=1 -timeout 30m $(TEST_ARGS)

.PHONY: verify
verify: generate manifests ## Fail when generated files are stale (run after changing api/ or RBAC markers).
	@if [ -n "$$(git status --porcelain -- api config charts)" ]; then \
		echo "generated files are stale; run 'make generate manifests' and commit:"; \
		git status --porcelain -- api config charts; git --no-pager diff -- api config charts | head -50; exit 1; fi
	@echo "generated files are up to date"

.PHONY: helm-crds
helm-crds: ## Copy the CRDs and config/rbac/role.yaml into the Helm chart (also run by manifests).
	@hack/helm-crds.sh

.PHONY: helm-lint
helm-lint: helm ## Lint the Helm chart with its default values and charts/wss-operator/ci/all-values.yaml.
	$(HELM) lint --strict charts/wss-operator
	$(HELM) lint --strict charts/wss-operator --values charts/wss-operator/ci/all-values.yaml

##@ Build

.PHONY: build
build: ## Build the wss-operator binary into bin/.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(LOCALBIN)/wss-operator .

.PHONY: run
run: manifests generate ## Run the manager against the cluster in ~/.kube/config (or $$KUBECONFIG).
	$(GO) run -ldflags "$(LDFLAGS)" . manager

.PHONY: demo
demo: envtest ## Run the operator, cert-manager and the real sidecar on a local control plane, and narrate (DEMO_EXIT_AFTER=1 to exit at the end).
	KUBEBUILDER_ASSETS="$$(hack/envtest-bins.sh)" $(GO) run -ldflags "$(LDFLAGS)" ./demo

.PHONY: bench
bench: bench-datapath bench-controlplane bench-realclients ## The benchmarks below: raw results into bench/results/, rendered into BENCHMARKS.md (~80 min).

.PHONY: bench-datapath
bench-datapath: build ## Data path on loopback: the sidecar vs nginx, HAProxy, Caddy, hitch, stunnel; fan-out (apt-get installs missing ones; ~45 min).
	BENCH_BIN=$(LOCALBIN)/wss-operator GO=$(GO) bench/datapath/run.sh

# Repetitions of the control-plane benchmark: each figure is their median.
CPBENCH_REPS ?= 3
# In how many of them (the first) the memory variants (no GOMEMLIMIT, naive
# cache) are measured too; the chart's setting is measured in every one.
CPBENCH_VARIANT_REPS ?= 1

.PHONY: bench-controlplane
bench-controlplane: envtest ## Control plane, 3 repetitions (floor, floor + rollouts, ordered ceiling and endpoints on fresh API servers, taking turns): apply-to-Ready, 1,000 endpoints Ready vs the floor (the same Certificates alone), vs the floor + rollouts (Certificates, Services and sidecar rollouts applied directly) and vs the ordered ceiling (the same, in the product's order: inject after issuance and inspection, done after rollout and a probe), status writes/events/reconciles/API requests per endpoint, CPU, manager RSS (~30 min).
	mkdir -p bench/results
	KUBEBUILDER_ASSETS="$$(hack/envtest-bins.sh)" GO=$(GO) $(GO) run ./bench/controlplane -n 1000 -reps $(CPBENCH_REPS) -variant-reps $(CPBENCH_VARIANT_REPS) -out bench/results/controlplane.json
	$(GO) run ./bench/report

# The sidecar that bench-realclients compares this tree's with (a git revision):
# e3a0e15, the last proxy before round 2's hot-path changes (one read per
# message, the idle cuts, the lean first request, records gathered).
BENCH_BASE ?= e3a0e15

.PHONY: bench-realclients
bench-realclients: build test-deps-clients ## Real clients: Node's ws and headless Chromium through the sidecar of BENCH_BASE (default e3a0e15) and of this tree, taking turns: handshakes and 64 B / 16 KiB echo round trips, base vs head (~4 min).
	mkdir -p bench/results
	GO=$(GO) $(GO) run ./bench/realclients -base '$(BENCH_BASE)' -head-bin $(LOCALBIN)/wss-operator -out bench/results/realclients.json
	$(GO) run ./bench/report

.PHONY: bench-report
bench-report: ## BENCHMARKS.md's Data path, Control plane and Real clients parts from the raw results in bench/results/, without running a benchmark.
	$(GO) run ./bench/report

# The image as a docker-archive tarball, built without Docker by tools/mkimage
# (go-containerregistry): the same image the Dockerfile describes.
IMAGE_TAR ?= $(LOCALBIN)/wss-operator-image.tar
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
IMAGE_SOURCE ?= https://github.com/wss-operator/wss-operator

.PHONY: image
image: ca-bundle ## Build the image $(IMG) without Docker into bin/wss-operator-image.tar (for docker load, ctr images import, kind load image-archive).
	mkdir -p $(LOCALBIN)/image
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(LOCALBIN)/image/wss-operator .
	$(GO) run ./tools/mkimage -o $(IMAGE_TAR) -tag $(IMG) -arch $(IMAGE_ARCH) -user 65532:65532 \
		-exe $(LOCALBIN)/image/wss-operator=/wss-operator -entrypoint /wss-operator \
		-file $(CA_BUNDLE)=/etc/ssl/certs/ca-certificates.crt \
		-label org.opencontainers.image.source=$(IMAGE_SOURCE) \
		-label org.opencontainers.image.version=$(VERSION) \
		-label org.opencontainers.image.revision=$(COMMIT)
	WSS_IMAGE_TAR=$(IMAGE_TAR) WSS_IMAGE_VERSION=$(VERSION) $(GO) test ./tools/mkimage -run 'TestImage$$' -count=1

# The CA roots the image carries come from Debian's ca-certificates.
.PHONY: ca-bundle
ca-bundle:
	@[ -s $(CA_BUNDLE) ] || { [ "$$(id -u)" = 0 ] || { echo "$(CA_BUNDLE) is missing: apt-get install ca-certificates"; exit 1; }; \
		echo "installing ca-certificates"; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates; }

.PHONY: docker-build
docker-build: ## Build the image $(IMG) (operator and sidecar) with $(CONTAINER_TOOL).
	$(CONTAINER_TOOL) build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the image $(IMG) with $(CONTAINER_TOOL).
	$(CONTAINER_TOOL) push $(IMG)

##@ Tools

$(LOCALBIN):
	mkdir -p $(LOCALBIN)

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen (pinned) into bin/.
$(CONTROLLER_GEN): | $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Install golangci-lint (pinned) into bin/.
$(GOLANGCI_LINT): | $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

# helm is phony: the versioned binary is built once, and bin/helm is re-linked on every use,
# so a HELM_VERSION bump takes effect without cleaning bin/.
.PHONY: helm
helm: | $(LOCALBIN) ## Install helm (pinned) into bin/.
	$(call go-install-tool,$(HELM),helm.sh/helm/v3/cmd/helm,$(HELM_VERSION),$(HELM_LDFLAGS))

# go-install-tool installs package $(2) at version $(3) as $(TOOLS_DIR)/<name>-$(3), outside the
# clone so a fresh clone (CI) reuses it, and links $(1) to it: a version bump in this file installs
# the new version. $(4), optional, are extra `go install` flags.
TOOLS_DIR ?= $(or $(WSS_CACHE_DIR),$(HOME)/.cache/wss-operator)/tools
define go-install-tool
@tool="$(TOOLS_DIR)/$$(basename "$(1)")-$(3)"; \
[ -x "$$tool" ] || { \
	echo "installing $(2)@$(3)"; mkdir -p "$(TOOLS_DIR)/tmp.$$$$"; \
	GOBIN="$(TOOLS_DIR)/tmp.$$$$" $(GO) install $(4) "$(2)@$(3)"; \
	mv "$(TOOLS_DIR)/tmp.$$$$/$$(basename "$(2)")" "$$tool"; rmdir "$(TOOLS_DIR)/tmp.$$$$"; } ; \
ln -sf "$$tool" "$(1)"
endef
