package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/internal/realclient"
)

// timingJS is the timed loops, the same for Node and the page: now() is
// a clock in ms, open(url) resolves to an open WebSocket, close(ws) to its
// end, send(ws, payload) to the echo's arrival.
const timingJS = `
function summary(times, total) {
  const s = times.slice().sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return {count: times.length, totalMs: total, p50Ms: q(0.5), p99Ms: q(0.99)};
}
async function handshakes(url, n, warmup, resumed) {
  for (let i = 0; i < warmup; i++) await close(await open(url));
  const times = []; let reused = 0, ext = '';
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const t = now();
    const ws = await open(url);
    if (resumed(ws)) reused++;
    ext = ws.extensions;
    await close(ws);
    times.push(now() - t);
  }
  const r = summary(times, now() - t0);
  r.resumed = resumed(null) < 0 ? -1 : reused; r.extensions = ext;
  return r;
}
async function echoes(url, n, warmup, size) {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
  const ws = await open(url);
  for (let i = 0; i < warmup; i++) await send(ws, payload);
  const times = [];
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const t = now();
    const got = await send(ws, payload);
    if (got !== size) throw new Error('echo of ' + got + ' bytes, sent ' + size);
    times.push(now() - t);
  }
  const r = summary(times, now() - t0);
  r.resumed = -1; r.extensions = ws.extensions;
  await close(ws);
  return r;
}
async function workload(url, kind, n, warmup, size) {
  return kind === 'handshake' ? handshakes(url, n, warmup, resumedFn) : echoes(url, n, warmup, size);
}
`

// nodeJS runs one workload with the npm package ws: node script URL CAFILE
// KIND COUNT WARMUP SIZE. It trusts the test CA through ws's ca option and
// does not offer permessage-deflate.
const nodeJS = `
const WebSocket = require('ws');
const fs = require('fs');
const [url, caFile, kind, n, warmup, size] = process.argv.slice(2);
const ca = fs.readFileSync(caFile);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const open = (u) => new Promise((resolve, reject) => {
  const ws = new WebSocket(u, {ca, perMessageDeflate: false});
  ws.once('open', () => resolve(ws));
  ws.once('error', reject);
});
const close = (ws) => new Promise((resolve) => { ws.once('close', resolve); ws.close(1000); });
const send = (ws, payload) => new Promise((resolve) => { ws.once('message', (d) => resolve(d.length)); ws.send(payload); });
const resumedFn = (ws) => ws ? ws._socket.isSessionReused() : 0;
` + timingJS + `
workload(url, kind, +n, +warmup, +size).then(
  (r) => { console.log('RESULT ' + JSON.stringify(r)); process.exit(0); },
  (e) => { console.log('RESULT ' + JSON.stringify({error: String(e && e.message || e)})); process.exit(1); });
`

// pageHTML is served by the backend at /bench (through the sidecar): its
// script runs the workload named in the query against wss://<its host>/echo,
// writes the result into the DOM and then asks /done?token=T, which
// releases the /wait?token=T image that holds the load event (and so
// --dump-dom) until the loop is over. The browser always offers
// permessage-deflate; the backend declines it.
const pageHTML = `<!doctype html>
<html><body><pre id="out">pending</pre>
<script>
const q = new URLSearchParams(location.search);
const now = () => performance.now();
const open = (u) => new Promise((resolve, reject) => {
  const ws = new WebSocket(u);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => { ws.onopen = null; ws.onerror = null; resolve(ws); };
  ws.onerror = () => reject(new Error('websocket error'));
});
const close = (ws) => new Promise((resolve) => { ws.onclose = () => resolve(); ws.close(1000); });
const send = (ws, payload) => new Promise((resolve) => { ws.onmessage = (e) => resolve(e.data.byteLength); ws.send(payload); });
const resumedFn = (ws) => -1;
` + timingJS + `
const out = document.getElementById('out');
const finish = (r) => { out.textContent = 'RESULT ' + JSON.stringify(r); fetch('/done?token=' + q.get('token')); };
workload('wss://' + location.host + '/echo', q.get('kind'), +q.get('count'), +q.get('warmup'), +q.get('size')).then(
  finish, (e) => finish({error: String(e && e.message || e)}));
</script>
<img src="/wait?token=TOKEN" alt="">
</body></html>
`

// clientResult is what both clients print after "RESULT ".
type clientResult struct {
	benchresult.ClientTiming
	Error string `json:"error"`
}

// parseResult decodes a client's RESULT line; a client's own error is an
// error.
func parseResult(out string) (clientResult, error) {
	var r clientResult
	if err := realclient.ParseResult(out, &r); err != nil {
		return clientResult{}, err
	}
	if r.Error != "" {
		return r, errors.New(r.Error)
	}
	return r, nil
}

// client runs one workload through a sidecar at addr and returns what it
// printed.
type client interface {
	name() string
	run(ctx context.Context, addr string, w benchresult.Workload) (clientResult, error)
}

type nodeClient struct {
	node, script, modules, caFile string
	pin                           []string
}

func (nodeClient) name() string { return "node" }

func (c nodeClient) run(ctx context.Context, addr string, w benchresult.Workload) (clientResult, error) {
	out, err := realclient.Process{Timeout: 2 * time.Minute, Env: []string{"NODE_PATH=" + c.modules}, Pin: c.pin}.Run(ctx, c.node, c.script,
		"wss://"+addr+"/echo", c.caFile, w.Kind, strconv.Itoa(w.Count), strconv.Itoa(w.Warmup), strconv.Itoa(w.Size))
	r, perr := parseResult(out)
	if err != nil && perr == nil {
		perr = fmt.Errorf("%w: %s", err, realclient.Tail(out, 600))
	}
	return r, perr
}

type chromiumClient struct {
	chromium, spki, tmp string
	pin                 []string
	tokens              *tokens
}

func (chromiumClient) name() string { return "chromium" }

func (c chromiumClient) run(ctx context.Context, addr string, w benchresult.Workload) (clientResult, error) {
	token := c.tokens.next()
	q := url.Values{"kind": {w.Kind}, "count": {strconv.Itoa(w.Count)}, "warmup": {strconv.Itoa(w.Warmup)},
		"size": {strconv.Itoa(w.Size)}, "token": {token}}
	profile, err := os.MkdirTemp(c.tmp, "chromium-")
	if err != nil {
		return clientResult{}, err
	}
	defer func() { _ = os.RemoveAll(profile) }()
	out, err := realclient.Process{Timeout: 3 * time.Minute, Pin: c.pin}.Run(ctx, c.chromium,
		realclient.ChromiumArgs(filepath.Join(profile, "profile"), c.spki, "https://"+addr+"/bench?"+q.Encode())...)
	r, perr := parseResult(out)
	if err != nil && perr == nil {
		perr = fmt.Errorf("%w: %s", err, realclient.Tail(out, 600))
	}
	return r, perr
}
