package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// repeated is a repeatable flag.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	out := fs.String("o", "", "output docker-archive tarball (required)")
	tag := fs.String("tag", "", "repository:tag the archive names (required)")
	entrypoint := fs.String("entrypoint", "", "the image's entrypoint, an absolute path in the image (required)")
	user := fs.String("user", "65532:65532", "UID:GID the image runs as")
	goos := fs.String("os", "linux", "image OS")
	goarch := fs.String("arch", runtime.GOARCH, "image architecture")
	var files, exes, labels, env repeated
	fs.Var(&exes, "exe", "HOST=IMAGE: copy an executable into the image (mode 0755); repeatable")
	fs.Var(&files, "file", "HOST=IMAGE: copy a file into the image (mode 0644); repeatable")
	fs.Var(&labels, "label", "KEY=VALUE image label; repeatable")
	fs.Var(&env, "env", "KEY=VALUE environment variable; repeatable")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || *tag == "" || *entrypoint == "" {
		fmt.Fprintln(os.Stderr, "mkimage: -o, -tag and -entrypoint are required")
		return 2
	}
	s := Spec{Tag: *tag, Entrypoint: []string{*entrypoint}, User: *user, OS: *goos, Architecture: *goarch, Env: env, Labels: map[string]string{}}
	for _, set := range []struct {
		vals repeated
		mode int64
	}{{exes, 0o755}, {files, 0o644}} {
		for _, v := range set.vals {
			src, dst, ok := strings.Cut(v, "=")
			if !ok {
				fmt.Fprintf(os.Stderr, "mkimage: %q: want HOST=IMAGE\n", v)
				return 2
			}
			s.Files = append(s.Files, File{Src: src, Dst: dst, Mode: set.mode})
		}
	}
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "mkimage: label %q: want KEY=VALUE\n", l)
			return 2
		}
		s.Labels[k] = v
	}
	if err := Write(s, *out); err != nil {
		fmt.Fprintf(os.Stderr, "mkimage: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "mkimage: wrote %s (%s)\n", *out, *tag)
	return 0
}
