package main

import (
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

func TestParseResult(t *testing.T) {
	g := NewWithT(t)
	// Chromium's --dump-dom escapes the quotes of the JSON it wrote.
	r, err := parseResult(`<html><body><pre id="out">RESULT {&quot;count&quot;:3,&quot;totalMs&quot;:1.5,` +
		`&quot;p50Ms&quot;:0.5,&quot;p99Ms&quot;:0.6,&quot;resumed&quot;:-1,&quot;extensions&quot;:&quot;&quot;}</pre>`)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r).To(Equal(clientResult{ClientTiming: benchresult.ClientTiming{Count: 3, TotalMs: 1.5, P50Ms: 0.5, P99Ms: 0.6, Resumed: -1}}))
	_, err = parseResult("RESULT {\"error\":\"websocket error\"}\n")
	g.Expect(err).To(MatchError("websocket error"))
	_, err = parseResult("node: not found")
	g.Expect(err).To(MatchError(ContainSubstring("no RESULT")))
}

func TestWorkloadsAndTokens(t *testing.T) {
	g := NewWithT(t)
	ws := workloads(options{handshakes: 5, echoes: 200})
	g.Expect(ws).To(HaveLen(3))
	g.Expect(ws[0].Warmup).To(Equal(1), "at least one untimed")
	g.Expect(ws[2].Size).To(Equal(16384))
	g.Expect(ws[2].Warmup).To(Equal(20))
	tk := &tokens{}
	g.Expect(tk.next()).NotTo(Equal(tk.next()))
	g.Expect(urlSafe(`run-1"><script>`)).To(Equal("run-1script"))
	g.Expect(loopbackOnly("127.0.0.1:1")).To(Succeed())
	g.Expect(loopbackOnly("10.0.0.1:1")).NotTo(Succeed())
}
