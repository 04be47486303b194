package proxy

import (
	"net/http"
	"testing"
)

func TestHeaderSkip(t *testing.T) {
	t.Parallel()
	h := http.Header{"Connection": {"keep-alive, x-private-hop ,", "Sec-WebSocket-Key"}}
	skip := skipHeaders(h, "Host")
	for k, want := range map[string]bool{
		"Keep-Alive":        true, // hop-by-hop
		"Transfer-Encoding": true,
		"Host":              true, // extra
		"X-Private-Hop":     true, // listed in Connection, any case
		"Sec-Websocket-Key": false,
		"X-Private":         false,
		"Origin":            false,
		"":                  false, // an empty token names nothing
	} {
		if got := skip.has(k); got != want {
			t.Errorf("skip %q = %v, want %v", k, got, want)
		}
	}
	if !headerHasToken(http.Header{"Upgrade": {"h2c", " WebSocket "}}, "Upgrade", "websocket") {
		t.Error("Upgrade: websocket in the second line not found")
	}
	if headerHasToken(http.Header{"Upgrade": {"websocketx"}}, "Upgrade", "websocket") {
		t.Error("token matched a prefix")
	}
}
