package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

// buildBase returns the wss-operator binary of rev, built once per commit
// into ~/.cache/wss-operator/bench-bins/<commit>/wss-operator from `git
// archive` of that commit.
func buildBase(goCmd, rev string) (benchresult.Build, error) {
	b := benchresult.Build{Name: "base", Rev: rev}
	commit, err := git("rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return b, fmt.Errorf("-base %s: %w", rev, err)
	}
	b.Commit = commit
	cache := os.Getenv("WSS_CACHE_DIR") // as the Makefile's tool and npm caches
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return b, err
		}
		cache = filepath.Join(home, ".cache", "wss-operator")
	}
	b.Binary = filepath.Join(cache, "bench-bins", commit, "wss-operator")
	if _, err := os.Stat(b.Binary); err == nil {
		return b, nil
	}
	src, err := os.MkdirTemp("", "wss-bench-base-")
	if err != nil {
		return b, err
	}
	defer func() { _ = os.RemoveAll(src) }()
	log.Printf("building base %s (%s) into %s", rev, commit[:12], b.Binary)
	archive := exec.Command("sh", "-c", `git archive "$1" | tar -x -C "$2"`, "sh", commit, src)
	if out, err := archive.CombinedOutput(); err != nil {
		return b, fmt.Errorf("git archive %s: %w: %s", commit, err, out)
	}
	if err := goBuild(goCmd, src, b.Binary); err != nil {
		return b, err
	}
	return b, nil
}

// buildHead returns the working tree's binary: headBin when given, else
// built into dir.
func buildHead(goCmd, headBin, dir string) (benchresult.Build, error) {
	b := benchresult.Build{Name: "head", Rev: "HEAD"}
	commit, err := git("rev-parse", "HEAD")
	if err != nil {
		return b, err
	}
	b.Commit = commit
	status, err := git("status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return b, err
	}
	b.Dirty = status != ""
	if headBin != "" {
		b.Binary = headBin
		return b, nil
	}
	root, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return b, err
	}
	b.Binary = filepath.Join(dir, "wss-operator-head")
	log.Printf("building head (%s%s) into %s", commit[:12], map[bool]string{true: ", with uncommitted changes"}[b.Dirty], b.Binary)
	return b, goBuild(goCmd, root, b.Binary)
}

// goBuild builds the module in dir as `make build` does, without the
// version stamp.
func goBuild(goCmd, dir, out string) error {
	cmd := exec.Command(goCmd, "build", "-trimpath", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build in %s: %w: %s", dir, err, b)
	}
	return nil
}

func git(args ...string) (string, error) {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
