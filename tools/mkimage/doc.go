// Command mkimage builds a container image without Docker: one layer holding
// the files it is given (a static binary, the CA bundle), an /etc/passwd and
// /etc/group naming the non-root user, and an image config with the
// entrypoint, user and labels. It writes a plain (uncompressed) docker-archive
// tarball with one tag, the format `docker load`, `ctr images import` and
// `kind load image-archive` read, using go-containerregistry.
//
// `make image` runs it for the wss-operator image (the Dockerfile describes
// the same image for a Docker build); the e2e test runs it for its echo
// backend. The output is reproducible: every timestamp is the Unix epoch.
//
//	mkimage -o bin/wss-operator-image.tar -tag ghcr.io/wss-operator/wss-operator:v0.1.0 \
//	  -file bin/linux-amd64/wss-operator=/wss-operator \
//	  -file /etc/ssl/certs/ca-certificates.crt=/etc/ssl/certs/ca-certificates.crt \
//	  -entrypoint /wss-operator -user 65532:65532 \
//	  -label org.opencontainers.image.version=v0.1.0
package main
