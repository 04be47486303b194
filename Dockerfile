# syntax=docker/dockerfile:1
# The wss-operator image: one static binary that is the controller manager
# and, injected into workloads, the TLS sidecar (`wss-operator proxy`).
#
#   make docker-build IMG=registry.example/wss-operator:v0.1.0
#
# `make image` builds the same image without Docker (tools/mkimage, with
# go-containerregistry) into bin/wss-operator-image.tar: the same static
# binary as /wss-operator and entrypoint, user 65532:65532, no shell, the CA
# roots at /etc/ssl/certs/ca-certificates.crt and the labels below.
#
# VERSION and COMMIT are stamped into the binary as `make build` does
# (Makefile LDFLAGS); `wss-operator version` prints them.

FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=v0.0.0-dev
ARG COMMIT=
WORKDIR /workspace

# Dependencies first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/wss-operator/wss-operator/internal/version.Version=${VERSION} -X github.com/wss-operator/wss-operator/internal/version.Commit=${COMMIT}" \
      -o /out/wss-operator .

# distroless/static: no shell, no package manager; CA certificates and
# /etc/passwd for the nonroot user (65532) only.
FROM gcr.io/distroless/static:nonroot
ARG VERSION=v0.0.0-dev
ARG COMMIT=
LABEL org.opencontainers.image.source="https://github.com/wss-operator/wss-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=builder /out/wss-operator /wss-operator
USER 65532:65532
ENTRYPOINT ["/wss-operator"]
