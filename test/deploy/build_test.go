package deploytest

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// There is no container engine here, so the image is not built; these tests
// keep the build files consistent with the Makefile and the module.

func readFile(g Gomega, rel string) string {
	data, err := os.ReadFile(filepath.Join(env.Root, rel))
	g.Expect(err).NotTo(HaveOccurred())
	return string(data)
}

// xFlags lists the variables set with -X name=value in s.
func xFlags(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`-X ([^=\s]+)=`).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

func TestDockerfile(t *testing.T) {
	g := NewWithT(t)
	dockerfile := readFile(g, "Dockerfile")
	gomod := readFile(g, "go.mod")
	makefile := readFile(g, "Makefile")

	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(gomod)
	g.Expect(goVersion).To(HaveLen(2))
	g.Expect(dockerfile).To(MatchRegexp(`(?m)^FROM (--platform=\S+ )?golang:`+regexp.QuoteMeta(goVersion[1])+` AS builder$`), "the builder's Go is go.mod's")
	g.Expect(dockerfile).To(MatchRegexp(`(?m)^FROM gcr.io/distroless/static:nonroot$`))
	g.Expect(dockerfile).To(MatchRegexp(`(?m)^USER 65532:65532$`))
	g.Expect(dockerfile).To(MatchRegexp(`(?m)^ENTRYPOINT \["/wss-operator"\]$`))
	g.Expect(dockerfile).To(ContainSubstring("CGO_ENABLED=0"))
	g.Expect(dockerfile).To(ContainSubstring("go build -trimpath"))

	ldflags := regexp.MustCompile(`(?m)^LDFLAGS :?= (.*)$`).FindStringSubmatch(makefile)
	g.Expect(ldflags).To(HaveLen(2), "Makefile LDFLAGS")
	g.Expect(xFlags(dockerfile)).To(Equal(xFlags(ldflags[1])), "the image stamps the version like make build")
	g.Expect(xFlags(dockerfile)).NotTo(BeEmpty())
	g.Expect(makefile).To(ContainSubstring("--build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT)"))
}

// dockerignored reports whether rel (slash-separated, relative to the build
// context) or one of its parent directories matches a .dockerignore pattern.
// It covers the pattern forms our .dockerignore uses: names, globs and a
// leading "**/"; "!" exceptions are not supported (and not used).
func dockerignored(patterns []string, rel string) bool {
	parts := strings.Split(rel, "/")
	for _, p := range patterns {
		anyDepth := strings.HasPrefix(p, "**/")
		p = strings.TrimPrefix(p, "**/")
		pn := len(strings.Split(p, "/"))
		// The pattern matches pn path elements: the path itself or a parent
		// directory, starting at the top (or anywhere, after "**/").
		for start := 0; start+pn <= len(parts); start++ {
			if start > 0 && !anyDepth {
				break
			}
			if ok, _ := filepath.Match(p, strings.Join(parts[start:start+pn], "/")); ok {
				return true
			}
		}
	}
	return false
}

// TestDockerignoreKeepsBuildInputs: the build context keeps every file the
// binary is built from.
func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	g := NewWithT(t)
	var patterns []string
	sc := bufio.NewScanner(strings.NewReader(readFile(g, ".dockerignore")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		g.Expect(line).NotTo(HavePrefix("!"), "exceptions are not supported by this test")
		patterns = append(patterns, strings.TrimSuffix(filepath.ToSlash(filepath.Clean(line)), "/"))
	}
	g.Expect(dockerignored(patterns, "bin/wss-operator")).To(BeTrue(), "matcher self-check")
	g.Expect(dockerignored(patterns, "internal/x/testdata/a")).To(BeTrue(), "matcher self-check")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "list", "-e", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{range .EmbedFiles}} {{.}}{{end}}{{end}}", ".")
	cmd.Dir = env.Root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	g.Expect(err).NotTo(HaveOccurred(), "go list: %s", stderr.String())

	inputs := []string{"go.mod", "go.sum"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		rel, err := filepath.Rel(env.Root, fields[0])
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // another module
		}
		for _, f := range fields[1:] {
			inputs = append(inputs, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	g.Expect(inputs).To(ContainElement("main.go"))
	for _, in := range inputs {
		g.Expect(dockerignored(patterns, in)).To(BeFalse(), ".dockerignore drops %s, which the binary is built from", in)
	}
}
