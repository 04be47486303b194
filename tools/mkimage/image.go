package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one host file copied into the image.
type File struct {
	// Src is the path on the host; Dst the absolute path in the image.
	Src, Dst string
	// Mode of the file in the image: 0o755 for executables, else 0o644.
	Mode int64
}

// Spec describes an image.
type Spec struct {
	// Tag names the image in the archive (repository:tag).
	Tag string
	// Files are copied into the image's only layer, owned by root.
	Files []File
	// Entrypoint and Cmd of the image config.
	Entrypoint, Cmd []string
	// User is "UID:GID"; /etc/passwd and /etc/group name it "nonroot" (as
	// distroless does), so tools that look the user up find it.
	User string
	// Labels of the image config (org.opencontainers.image.*).
	Labels map[string]string
	// Env of the image config, KEY=VALUE.
	Env []string
	// OS and Architecture of the image (GOOS/GOARCH names).
	OS, Architecture string
}

// epoch is every timestamp in the image, so the same inputs give the same digest.
var epoch = time.Unix(0, 0).UTC()

// Build assembles the image Spec describes.
func Build(s Spec) (v1.Image, error) {
	layerTar, err := layer(s)
	if err != nil {
		return nil, err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:   l,
		History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "mkimage", Comment: strings.Join(dsts(s.Files), " ")},
	})
	if err != nil {
		return nil, fmt.Errorf("appending the layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = s.OS, s.Architecture
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Entrypoint = s.Entrypoint
	cf.Config.Cmd = s.Cmd
	cf.Config.User = s.User
	cf.Config.Labels = s.Labels
	cf.Config.Env = s.Env
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	return img, nil
}

// Write builds the image and writes it as a docker-archive tarball to out,
// through a temporary file renamed into place.
func Write(s Spec, out string) error {
	tag, err := name.NewTag(s.Tag)
	if err != nil {
		return fmt.Errorf("tag %q: %w", s.Tag, err)
	}
	img, err := Build(s)
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp) }()
	if err := tarball.Write(tag, img, f); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// layer is the uncompressed tar of the image's files, its parent
// directories, and /etc/passwd and /etc/group when a user is set.
func layer(s Spec) ([]byte, error) {
	type entry struct {
		hdr  tar.Header
		data []byte
	}
	entries := map[string]entry{}
	addDirs := func(p string) {
		for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
			rel := strings.TrimPrefix(d, "/") + "/"
			entries[rel] = entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: rel, Mode: 0o755, ModTime: epoch}}
		}
	}
	addFile := func(dst string, mode int64, data []byte) {
		addDirs(dst)
		rel := strings.TrimPrefix(dst, "/")
		entries[rel] = entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: mode, Size: int64(len(data)), ModTime: epoch}, data: data}
	}
	for _, f := range s.Files {
		if !path.IsAbs(f.Dst) {
			return nil, fmt.Errorf("%s: the path in the image must be absolute", f.Dst)
		}
		data, err := os.ReadFile(f.Src)
		if err != nil {
			return nil, err
		}
		addFile(path.Clean(f.Dst), f.Mode, data)
	}
	if s.User != "" {
		uid, gid, err := parseUser(s.User)
		if err != nil {
			return nil, err
		}
		addFile("/etc/passwd", 0o644, fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", uid, gid))
		addFile("/etc/group", 0o644, fmt.Appendf(nil, "root:x:0:\nnonroot:x:%d:\n", gid))
	}
	// A writable /tmp, as distroless has, for libraries that want one.
	entries["tmp/"] = entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777, ModTime: epoch}}

	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		e := entries[n]
		e.hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func parseUser(u string) (uid, gid int, err error) {
	us, gs, ok := strings.Cut(u, ":")
	if !ok {
		gs = us
	}
	if uid, err = strconv.Atoi(us); err != nil {
		return 0, 0, fmt.Errorf("user %q: want UID:GID", u)
	}
	if gid, err = strconv.Atoi(gs); err != nil {
		return 0, 0, fmt.Errorf("user %q: want UID:GID", u)
	}
	return uid, gid, nil
}

func dsts(fs []File) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Dst)
	}
	return out
}
