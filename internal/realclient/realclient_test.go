package realclient

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestParseResult(t *testing.T) {
	g := NewWithT(t)
	var r struct {
		Count int    `json:"count"`
		Ext   string `json:"extensions"`
	}
	// As Chromium's --dump-dom prints it.
	g.Expect(ParseResult(`<pre id="out">RESULT {&quot;count&quot;:3,&quot;extensions&quot;:&quot;a&amp;b&quot;}</pre>`, &r)).To(Succeed())
	g.Expect(r.Count).To(Equal(3))
	g.Expect(r.Ext).To(Equal("a&b"))
	g.Expect(ParseResult("RESULT {\"count\":4}\n", &r)).To(Succeed())
	g.Expect(r.Count).To(Equal(4))
	g.Expect(ParseResult("nothing here", &r)).To(MatchError(ContainSubstring("no RESULT in the output: nothing here")))
	g.Expect(ParseResult("RESULT {\"count\":\"x\"}", &r)).To(MatchError(ContainSubstring(`RESULT {"count":"x"}`)))
}

func TestRunKillsTheGroup(t *testing.T) {
	g := NewWithT(t)
	out, err := Process{Timeout: 10 * time.Second, Stdin: strings.NewReader("in\n")}.Run(context.Background(), "sh", "-c", "cat; echo out")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal("in\nout\n"))

	// A child that outlives its parent is killed with the group; the
	// overrun is the error.
	start := time.Now()
	_, err = Process{Timeout: time.Second}.Run(context.Background(), "sh", "-c", "sleep 30 & wait")
	g.Expect(err).To(MatchError(ContainSubstring("sh did not finish within 1s")))
	g.Expect(time.Since(start)).To(BeNumerically("<", 10*time.Second))
}
