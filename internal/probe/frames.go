package probe

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// WebSocket opcodes (RFC 6455 section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
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
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, err
	}
	f := frame{fin: hdr[0]&0x80 != 0, opcode: hdr[0] & 0x0f}
	if hdr[0]&0x70 != 0 {
		return f, &protocolError{fmt.Sprintf("reserved bits set (0x%02x) without a negotiated extension", hdr[0]&0x70)}
	}
	if hdr[1]&0x80 != 0 {
		return f, &protocolError{"the server masked a frame"}
	}
	switch n := hdr[1] & 0x7f; n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return f, err
		}
		f.length = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return f, err
		}
		f.length = binary.BigEndian.Uint64(ext[:])
	default:
		f.length = uint64(n)
	}
	switch f.opcode {
	case opClose, opPing, opPong:
		if f.length > 125 || !f.fin {
			return f, &protocolError{fmt.Sprintf("control frame 0x%x with length %d, fin %t", f.opcode, f.length, f.fin)}
		}
		f.payload = make([]byte, f.length)
		if _, err := io.ReadFull(r, f.payload); err != nil {
			return f, err
		}
	case opContinuation, opText, opBinary:
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

// writeFrame writes one masked client-to-server frame with a short payload
// (at most 125 bytes: the probe only sends control frames).
func writeFrame(w io.Writer, opcode byte, payload []byte) error {
	if len(payload) > 125 {
		return fmt.Errorf("control payload of %d bytes", len(payload))
	}
	buf := make([]byte, 0, 6+len(payload))
	buf = append(buf, 0x80|opcode, 0x80|byte(len(payload)))
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	buf = append(buf, mask[:]...)
	for i, b := range payload {
		buf = append(buf, b^mask[i%4])
	}
	_, err := w.Write(buf)
	return err
}

// closePayload splits a close frame's payload into code and reason.
func closePayload(p []byte) (code int, reason string) {
	if len(p) < 2 {
		return 1005, "" // no status code present
	}
	reason = string(p[2:])
	if !utf8.ValidString(reason) {
		reason = fmt.Sprintf("%q", p[2:])
	}
	return int(binary.BigEndian.Uint16(p)), reason
}

// ping sends a ping with a random payload and waits for the matching pong,
// answering pings and skipping data frames meanwhile.
func (p *prober) ping(ws *wsConn) *failure {
	payload := make([]byte, 16)
	_, _ = rand.Read(payload)
	if err := writeFrame(ws, opPing, payload); err != nil {
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
		case opPong:
			if bytes.Equal(f.payload, payload) {
				return nil
			}
		case opPing:
			if err := writeFrame(ws, opPong, f.payload); err != nil {
				return p.classify(PhasePing, err)
			}
		case opClose:
			code, reason := closePayload(f.payload)
			return fail(wssv1.ReasonUnknown, PhasePing, fmt.Sprintf("the server closed the WebSocket with code %d %q before answering the ping", code, truncate(reason, 123)))
		}
	}
}

// closePolitely sends a close frame (1000) and waits briefly for the
// server's close frame, so the server sees a clean close.
func (p *prober) closePolitely(ws *wsConn) {
	if err := writeFrame(ws, opClose, []byte{0x03, 0xe8}); err != nil {
		return
	}
	dl := time.Now().Add(closeWait)
	if ctxDl, ok := p.ctx.Deadline(); ok && ctxDl.Before(dl) {
		dl = ctxDl
	}
	_ = ws.SetReadDeadline(dl)
	for {
		f, err := readFrame(ws.r)
		if err != nil || f.opcode == opClose {
			return
		}
	}
}
