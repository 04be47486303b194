// Package version holds the build's version, stamped by the linker:
//
//	go build -ldflags "-X github.com/wss-operator/wss-operator/internal/version.Version=v0.1.0 \
//	  -X github.com/wss-operator/wss-operator/internal/version.Commit=$(git rev-parse HEAD)"
package version
