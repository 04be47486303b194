package wstest

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
)

// Echo is a real WebSocket echo server: it accepts the upgrade and writes
// every message back, with its type, until the connection ends. The zero
// value uses coder/websocket's defaults; the fields are hooks for tests that
// watch the backend.
type Echo struct {
	// Accept are the upgrade's options (subprotocols, compression, origin
	// check); nil for the defaults.
	Accept *websocket.AcceptOptions
	// ReadLimit is the largest message read, in bytes (0: coder/websocket's
	// default of 32 KiB).
	ReadLimit int64
	// OnMessage, when set, sees every message first; it is echoed only when
	// OnMessage returns true.
	OnMessage func(msg []byte) bool
	// OnClose, when set, gets how the connection's reads ended: the peer's
	// close code, or -1 without a close frame.
	OnClose func(websocket.StatusCode)
}

// ServeHTTP accepts the WebSocket upgrade of r and echoes on it.
func (e Echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, e.Accept)
	if err != nil {
		return
	}
	e.Serve(r.Context(), c)
}

// Serve echoes on c, accepted elsewhere (e.Accept is not used), until the
// connection ends, and closes it.
func (e Echo) Serve(ctx context.Context, c *websocket.Conn) {
	defer func() { _ = c.CloseNow() }()
	if e.ReadLimit > 0 {
		c.SetReadLimit(e.ReadLimit)
	}
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			if e.OnClose != nil {
				e.OnClose(websocket.CloseStatus(err))
			}
			return
		}
		if e.OnMessage != nil && !e.OnMessage(msg) {
			continue
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}
