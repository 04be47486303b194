package main

import (
	"archive/tar"
	"crypto/x509"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	. "github.com/onsi/gomega"
)

const caBundle = "/etc/ssl/certs/ca-certificates.crt"

// imageTar is the image under test: $WSS_IMAGE_TAR (make image's
// bin/wss-operator-image.tar, which `make e2e` checks this way), else one
// built here the way `make image` builds it.
func imageTar(t *testing.T) (path, wantVersion string) {
	t.Helper()
	if p := os.Getenv("WSS_IMAGE_TAR"); p != "" {
		return p, os.Getenv("WSS_IMAGE_VERSION")
	}
	if _, err := os.Stat(caBundle); err != nil {
		t.Fatalf("%s is missing: install Debian's ca-certificates (make image does)", caBundle)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "wss-operator")
	const v = "v0.0.0-imagetest"
	build := exec.Command("go", "build", "-trimpath", "-o", bin,
		"-ldflags", "-s -w -X github.com/wss-operator/wss-operator/internal/version.Version="+v, "../..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	p := filepath.Join(dir, "image.tar")
	err := Write(Spec{
		Tag:        "ghcr.io/wss-operator/wss-operator:" + v,
		Files:      []File{{Src: bin, Dst: "/wss-operator", Mode: 0o755}, {Src: caBundle, Dst: caBundle, Mode: 0o644}},
		Entrypoint: []string{"/wss-operator"},
		User:       "65532:65532",
		Labels: map[string]string{
			"org.opencontainers.image.source":   "https://github.com/wss-operator/wss-operator",
			"org.opencontainers.image.version":  v,
			"org.opencontainers.image.revision": "0000000",
		},
		OS: "linux", Architecture: "amd64",
	}, p)
	if err != nil {
		t.Fatal(err)
	}
	return p, v
}

// TestImage opens the image archive as `docker load` would and checks what
// the image promises: the tag, a non-root user, the binary as entrypoint, no
// shell, the OCI labels, a CA bundle that parses, and a binary that runs.
func TestImage(t *testing.T) {
	g := NewWithT(t)
	path, wantVersion := imageTar(t)

	manifest, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(manifest).To(HaveLen(1))
	g.Expect(manifest[0].RepoTags).To(ConsistOf(HavePrefix("ghcr.io/wss-operator/wss-operator:")))

	img, err := tarball.ImageFromPath(path, nil)
	g.Expect(err).NotTo(HaveOccurred())
	cf, err := img.ConfigFile()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cf.OS).To(Equal("linux"))
	g.Expect(cf.Config.User).To(Equal("65532:65532"))
	g.Expect(cf.Config.Entrypoint).To(Equal([]string{"/wss-operator"}))
	g.Expect(cf.Config.Labels).To(HaveKeyWithValue("org.opencontainers.image.source", "https://github.com/wss-operator/wss-operator"))
	g.Expect(cf.Config.Labels).To(HaveKey("org.opencontainers.image.revision"))
	if wantVersion != "" {
		g.Expect(cf.Config.Labels).To(HaveKeyWithValue("org.opencontainers.image.version", wantVersion))
		g.Expect(manifest[0].RepoTags).To(ConsistOf("ghcr.io/wss-operator/wss-operator:" + wantVersion))
	}

	// The flattened filesystem, as a container sees it.
	files := map[string]*tar.Header{}
	dir := t.TempDir()
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		g.Expect(err).NotTo(HaveOccurred())
		name := "/" + strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		files[name] = h
		switch name {
		case "/wss-operator", caBundle, "/etc/passwd":
			data, err := io.ReadAll(tr)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(os.WriteFile(filepath.Join(dir, filepath.Base(name)), data, 0o755)).To(Succeed())
		}
	}
	g.Expect(files).NotTo(HaveKey("/bin/sh"), "the image has a shell")
	g.Expect(files).NotTo(HaveKey("/bin"))
	g.Expect(files).To(HaveKey("/wss-operator"))
	g.Expect(files["/wss-operator"].Mode & 0o111).NotTo(BeZero())
	g.Expect(files["/wss-operator"].Uid).To(BeZero(), "the binary belongs to root, so the process cannot change it")

	passwd, err := os.ReadFile(filepath.Join(dir, "passwd"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(passwd)).To(ContainSubstring("nonroot:x:65532:65532:"))

	ca, err := os.ReadFile(filepath.Join(dir, filepath.Base(caBundle)))
	g.Expect(err).NotTo(HaveOccurred())
	roots := x509.NewCertPool()
	g.Expect(roots.AppendCertsFromPEM(ca)).To(BeTrue(), "the CA bundle holds no certificate")
	g.Expect(len(roots.Subjects())).To(BeNumerically(">", 50)) //nolint:staticcheck // counting roots, not checking them

	out, err := exec.Command(filepath.Join(dir, "wss-operator"), "version").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	g.Expect(string(out)).To(HavePrefix("wss-operator "))
	g.Expect(string(out)).To(ContainSubstring("linux/"))
	if wantVersion != "" {
		g.Expect(string(out)).To(ContainSubstring(wantVersion))
	}
}

// TestLayerIsReproducible: the same inputs give the same image digest.
func TestLayerIsReproducible(t *testing.T) {
	g := NewWithT(t)
	src := filepath.Join(t.TempDir(), "f")
	g.Expect(os.WriteFile(src, []byte("x"), 0o600)).To(Succeed())
	s := Spec{Tag: "example.test/x:1", Files: []File{{Src: src, Dst: "/a/b/f", Mode: 0o644}}, Entrypoint: []string{"/a/b/f"}, User: "1:2", OS: "linux", Architecture: "amd64"}
	a, err := Build(s)
	g.Expect(err).NotTo(HaveOccurred())
	b, err := Build(s)
	g.Expect(err).NotTo(HaveOccurred())
	da, _ := a.Digest()
	db, _ := b.Digest()
	g.Expect(da).To(Equal(db))
	_, err = Build(Spec{Files: []File{{Src: src, Dst: "relative"}}})
	g.Expect(err).To(MatchError(ContainSubstring("must be absolute")))
	_, err = Build(Spec{User: "nobody"})
	g.Expect(err).To(MatchError(ContainSubstring("want UID:GID")))
}
