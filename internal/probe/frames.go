package probe

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// maxDataFrame bounds the payload of a data frame the probe skips while
// waiting for its pong.
const maxDataFrame = 16 << 20

// closeWait bounds the wait for the server's close frame after a healthy
// probe.
const closeWait = time.Second

// frame is one WebSocket frame read from the server. Payload is kept for
// control frames only; data-frame payloads are discarded.
type frame struct {
	fin     bool
	opcode  byte
	length  uint64
	payload []byte
}

// protocolError is a server frame that breaks RFC 6455.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return "WebSocket protocol error from the server: " + e.msg }

// readFrame reads one server-to-client frame from r.
func readFrame(r *bufio.Reader) (frame, error) {
	h, err := wsframe.ReadHeader(r, math.MaxInt64)
	f := frame{fin: h.Fin, opcode: h.Opcode, length: uint64(h.Length)}
	if h.Rsv != 0 {
		return f, &protocolError{fmt.Sprintf("reserved bits set (0x%02x) without a negotiated extension", h.Rsv)}
	}
	if h.Masked {
		return f, &protocolError{"the server masked a frame"}
	}
	if le, ok := errors.AsType[*wsframe.LengthError](err); ok {
		// A 64-bit length with the top bit set: judged below like any length.
		f.length, err = le.Length, nil
	}
	if err != nil {
		return f, err
	}
	switch f.opcode {
	case wsframe.OpClose, wsframe.OpPing, wsframe.OpPong:
		if f.length > wsframe.MaxControlPayload || !f.fin {
			return f, &protocolError{fmt.Sprintf("control frame 0x%x with length %d, fin %t", f.opcode, f.length, f.fin)}
		}
		f.payload = make([]byte, f.length)
		if _, err := io.ReadFull(r, f.payload); err != nil {
			return f, err
		}
	case wsframe.OpContinuation, wsframe.OpText, wsframe.OpBinary:
		if f.length > maxDataFrame {
			return f, &protocolError{fmt.Sprintf("data frame of %d bytes while waiting for a pong", f.length)}
		}
		if _, err := io.CopyN(io.Discard, r, int64(f.length)); err != nil {
			return f, err
		}
	default:
		return f, &protocolError{fmt.Sprintf("unknown opcode 0x%x", f.opcode)}
	}
	return f, nil
}

// writeFrame writes one masked client-to-server frame, with a fresh random
// masking key, and a short payload (at most 125 bytes: the probe only sends
// control frames).
func writeFrame(w io.Writer, opcode byte, payload []byte) error {
	if len(payload) > wsframe.MaxControlPayload {
		return fmt.Errorf("control payload of %d bytes", len(payload))
	}
	mask := wsframe.NewMask()
	_, err := w.Write(wsframe.Frame(opcode, payload, &mask))
	return err
}

// closePayload splits a close frame's payload into code and reason (the
// reason quoted when it is not UTF-8).
func closePayload(p []byte) (code int, reason string) {
	c, reason := wsframe.ParseClose(p)
	if !utf8.ValidString(reason) {
		reason = fmt.Sprintf("%q", reason)
	}
	return int(c), reason
}

// ping sends a ping with a random payload and waits for the matching pong,
// answering pings and skipping data frames meanwhile.
func (p *attempt) ping(ws *wsConn) *failure {
	payload := make([]byte, 16)
	_, _ = rand.Read(payload)
	if err := writeFrame(ws, wsframe.OpPing, payload); err != nil {
		return p.classify(PhasePing, err)
	}
	for {
		f, err := readFrame(ws.r)
		if pe, ok := errors.AsType[*protocolError](err); ok {
			return fail(wssv1.ReasonUnknown, PhasePing, pe.Error())
		}
		if err != nil {
			return p.classify(PhasePing, err)
		}
		switch f.opcode {
		case wsframe.OpPong:
			if bytes.Equal(f.payload, payload) {
				return nil
			}
		case wsframe.OpPing:
			if err := writeFrame(ws, wsframe.OpPong, f.payload); err != nil {
				return p.classify(PhasePing, err)
			}
		case wsframe.OpClose:
			code, reason := closePayload(f.payload)
			return fail(wssv1.ReasonUnknown, PhasePing, fmt.Sprintf("the server closed the WebSocket with code %d %q before answering the ping", code, truncate(reason, 123)))
		}
	}
}

// closePolitely sends a close frame (1000) and waits briefly for the
// server's close frame, so the server sees a clean close.
func (p *attempt) closePolitely(ws *wsConn) {
	if err := writeFrame(ws, wsframe.OpClose, wsframe.ClosePayload(wsframe.CloseNormal, "")); err != nil {
		return
	}
	dl := time.Now().Add(closeWait)
	if ctxDl, ok := p.ctx.Deadline(); ok && ctxDl.Before(dl) {
		dl = ctxDl
	}
	_ = ws.SetReadDeadline(dl)
	for {
		f, err := readFrame(ws.r)
		if err != nil || f.opcode == wsframe.OpClose {
			return
		}
	}
}
