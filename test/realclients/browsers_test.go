package realclients

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/realclient"
)

// echoPage is served by the backend at / (through the sidecar): it opens
// wss://<its own host>/echo, sends a compressible 2.6 kB message, writes
// what came back into the DOM and then sends "done", which releases the
// /wait image that holds the page's load event (and so --dump-dom) until
// the exchange is over.
const echoPage = `<!doctype html>
<html><body><pre id="out">pending</pre>
<script>
const big = 'wss-operator echo '.repeat(150);
const out = document.getElementById('out');
const ws = new WebSocket('wss://' + location.host + '/echo');
ws.onopen = () => ws.send(big);
ws.onmessage = (e) => {
  out.textContent = 'RESULT ' + JSON.stringify({echoOK: e.data === big, extensions: ws.extensions, pageProtocol: location.protocol});
  ws.send('done');
};
ws.onerror = () => { out.textContent = 'RESULT ' + JSON.stringify({error: 'websocket error'}); };
</script>
<img src="/wait" alt="">
</body></html>
`

// clientResult is what the page and the Node client print after "RESULT ".
type clientResult struct {
	EchoOK       bool   `json:"echoOK"`
	Extensions   string `json:"extensions"`
	PageProtocol string `json:"pageProtocol"`
	ALPN         string `json:"alpn"`
	Error        string `json:"error"`
}

func parseResult(g Gomega, out string) clientResult {
	var r clientResult
	g.Expect(realclient.ParseResult(out, &r)).To(Succeed())
	return r
}

// TestChromiumThroughSidecar loads a page through the sidecar in headless
// Chromium; its script completes a wss:// echo with permessage-deflate
// negotiated end to end (the browser's ws.extensions comes from the
// backend's answer, relayed by the sidecar).
func TestChromiumThroughSidecar(t *testing.T) {
	chromium := needTool(t, "chromium")
	g := NewWithT(t)
	p := newPKI(t)
	be := startBackend(t, echoPage)
	sc := startSidecar(t, p, be.addr, "")
	out, err := run(t, 90*time.Second, "", nil, chromium,
		realclient.ChromiumArgs(filepath.Join(t.TempDir(), "profile"), realclient.SPKIHash(p.leaf), "https://"+sc.tlsAddr+"/")...)
	g.Expect(err).NotTo(HaveOccurred(), out)
	r := parseResult(g, out)
	g.Expect(r.Error).To(BeEmpty())
	g.Expect(r.EchoOK).To(BeTrue())
	g.Expect(r.PageProtocol).To(Equal("https:"))
	g.Expect(r.Extensions).To(ContainSubstring("permessage-deflate"))
	g.Expect(<-be.extensions).To(ContainSubstring("permessage-deflate"), "the offer reached the backend")
	g.Expect(sc.handshakes(t).Failures).To(BeEmpty(), "a browser that trusts the certificate fails no handshake")
}

// nodeClient is a Node.js `ws` client: it sends a compressible message,
// checks the echo and prints the negotiated extensions and ALPN.
const nodeClient = `
const WebSocket = require('ws');
const big = 'wss-operator echo '.repeat(150);
const ws = new WebSocket(process.argv[2], {perMessageDeflate: true});
ws.on('open', () => ws.send(big));
ws.on('message', (data) => {
  console.log('RESULT ' + JSON.stringify({echoOK: data.toString() === big, extensions: ws.extensions, alpn: String(ws._socket.alpnProtocol)}));
  ws.close(1000);
});
ws.on('close', () => process.exit(0));
ws.on('error', (e) => { console.log('RESULT ' + JSON.stringify({error: e.message})); process.exit(1); });
`

// TestNodeWSThroughSidecar runs Node's ws client through the sidecar,
// trusting our CA through NODE_EXTRA_CA_CERTS.
func TestNodeWSThroughSidecar(t *testing.T) {
	node := needTool(t, "node")
	modules := filepath.Join(realclient.NPMDir(), "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "ws", "package.json")); err != nil {
		t.Skipf("npm package ws not in %s: %s", modules, depsHint)
	}
	g := NewWithT(t)
	p := newPKI(t)
	be := startBackend(t, "")
	sc := startSidecar(t, p, be.addr, "")
	script := filepath.Join(t.TempDir(), "client.js")
	g.Expect(os.WriteFile(script, []byte(nodeClient), 0o600)).To(Succeed())
	out, err := run(t, 60*time.Second, "", []string{"NODE_PATH=" + modules, "NODE_EXTRA_CA_CERTS=" + p.caFile},
		node, script, "wss://"+sc.tlsAddr+"/echo")
	g.Expect(err).NotTo(HaveOccurred(), out)
	r := parseResult(g, out)
	g.Expect(r.Error).To(BeEmpty())
	g.Expect(r.EchoOK).To(BeTrue())
	g.Expect(r.Extensions).To(ContainSubstring("permessage-deflate"))
	g.Expect(<-be.extensions).To(ContainSubstring("permessage-deflate"))
	g.Expect(sc.handshakes(t).Failures).To(BeEmpty())
}
