package echo

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// maxFrame bounds the payload of one frame; the benchmark sends at most 16 KiB.
const maxFrame = 1 << 20

var payloads = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// Serve handles one connection until it ends, and closes it. /broadcast
// is refused: it needs a Hub (ServeHub).
func Serve(c net.Conn) { ServeHub(c, nil) }

// ServeHub is Serve with /broadcast connections joining hub.
func ServeHub(c net.Conn, hub *Hub) {
	defer func() { _ = c.Close() }()
	br := bufio.NewReaderSize(c, 4096)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	if !strings.EqualFold(req.Header.Get("Upgrade"), "websocket") || key == "" {
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		return
	}
	if req.URL.Path == "/broadcast" && hub == nil {
		_, _ = io.WriteString(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		return
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		wsframe.AcceptKey(key) + "\r\n\r\n"
	if _, err := io.WriteString(c, resp); err != nil {
		return
	}
	if req.URL.Path == "/broadcast" {
		hub.serve(c, br)
		return
	}
	if req.URL.Path == "/source" {
		size, err := strconv.Atoi(req.URL.Query().Get("size"))
		if err != nil || size <= 0 || size > maxFrame {
			size = 16 << 10
		}
		source(c, size)
		return
	}
	echo(c, br)
}

// source writes binary messages of size bytes until a write fails.
func source(c net.Conn, size int) {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	frame := wsframe.Frame(wsframe.OpBinary, payload, nil)
	for {
		if _, err := c.Write(frame); err != nil {
			return
		}
	}
}

// echo sends every frame back unmasked until close or error.
func echo(c net.Conn, br *bufio.Reader) {
	hdr := make([]byte, 0, wsframe.MaxHeader)
	for {
		h, err := wsframe.ReadHeader(br, maxFrame)
		if err != nil {
			return
		}
		bp := payloads.Get().(*[]byte)
		if int64(cap(*bp)) < h.Length {
			*bp = make([]byte, h.Length)
		}
		p := (*bp)[:h.Length]
		if _, err := io.ReadFull(br, p); err != nil {
			payloads.Put(bp)
			return
		}
		if h.Masked {
			wsframe.Mask(h.Mask, 0, p)
		}
		op := h.Opcode
		if op == wsframe.OpPing {
			op = wsframe.OpPong
		}
		if op == wsframe.OpPong {
			payloads.Put(bp)
			continue
		}
		hdr = wsframe.AppendHeader(hdr[:0], h.Fin, op, len(p), nil)
		bufs := net.Buffers{hdr, p}
		_, err = bufs.WriteTo(c)
		payloads.Put(bp)
		if err != nil || op == wsframe.OpClose {
			return
		}
	}
}
