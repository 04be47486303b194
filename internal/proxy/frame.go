package proxy

import (
	"math"

	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// drainReason is the close reason text sent with wsframe.CloseGoingAway,
// the close code the proxy sends to both sides when it drains.
const drainReason = "proxy shutting down"

// frameTracker follows the framing of one direction of a WebSocket stream,
// byte by byte, without buffering any payload. It knows whether the stream is
// at a frame boundary (the next byte starts a new frame header), which is
// the only place where a frame of our own (a close frame on drain) can be
// injected without corrupting the stream. It works for either direction:
// masked (client to server) and unmasked (server to client) frames differ
// only in the header length.
//
// Control frames may appear between the fragments of a fragmented message
// (RFC 6455 section 5.4), so a frame boundary is enough; message boundaries
// do not matter.
//
// The zero value is a tracker at the start of a stream. The fields are
// ordered so that it takes 40 bytes (two per WebSocket).
type frameTracker struct {
	payload   uint64                  // payload bytes of the current frame still to come
	frames    uint64                  // complete frames seen, for tests and diagnostics
	hdr       [wsframe.MaxHeader]byte // the header of the current frame, as far as it has arrived
	hdrLen    uint8                   // header bytes seen so far (0 = at a boundary, unless in payload)
	hdrNeed   uint8                   // full header length, known once the first two bytes arrived
	inPayload bool                    // the header is complete and payload bytes are still due
	opcode    byte                    // opcode of the current (or last) frame
	closeSeen bool                    // a close frame header has passed
	broken    bool                    // the stream is not valid WebSocket framing; never at a boundary again
}

// atBoundary reports whether the next byte of the stream starts a new frame.
func (t *frameTracker) atBoundary() bool {
	return !t.broken && !t.inPayload && t.hdrLen == 0
}

// closeComplete reports whether a close frame has passed completely.
func (t *frameTracker) closeComplete() bool {
	return t.closeSeen && t.atBoundary()
}

// advance consumes all of p.
func (t *frameTracker) advance(p []byte) {
	for len(p) > 0 {
		p = p[t.toBoundary(p):]
	}
}

// toBoundary consumes bytes of p until the stream reaches a frame boundary or
// p is exhausted, and returns the number of bytes consumed. When p is not
// empty it consumes at least one byte, so called at a boundary it consumes up
// to the end of the next frame.
func (t *frameTracker) toBoundary(p []byte) int {
	if t.broken {
		return len(p)
	}
	n := 0
	for n < len(p) {
		if t.inPayload {
			left := uint64(len(p) - n)
			if t.payload > left {
				t.payload -= left
				return len(p)
			}
			n += int(t.payload)
			t.endFrame()
			return n
		}
		t.hdr[t.hdrLen] = p[n]
		t.hdrLen++
		n++
		if t.hdrLen == 2 {
			t.hdrNeed = uint8(wsframe.HeaderLen(t.hdr[1]))
		}
		if t.hdrLen < 2 || t.hdrLen < t.hdrNeed {
			continue
		}
		if !t.startPayload() {
			return len(p)
		}
		if t.payload == 0 {
			t.endFrame()
			return n
		}
	}
	return n
}

// startPayload parses the complete header. It returns false when the header
// is invalid (a 64-bit length with the most significant bit set), after
// which the tracker is broken for good.
func (t *frameTracker) startPayload() bool {
	h, _, err := wsframe.ParseHeader(t.hdr[:t.hdrLen], math.MaxInt64)
	t.opcode = h.Opcode
	if err != nil {
		t.broken = true
		return false
	}
	t.payload = uint64(h.Length)
	if t.opcode == wsframe.OpClose {
		t.closeSeen = true
	}
	t.inPayload = true
	return true
}

func (t *frameTracker) endFrame() {
	t.inPayload = false
	t.payload = 0
	t.hdrLen = 0
	t.hdrNeed = 0
	t.frames++
}

// closeFrame returns a close frame with the given code and reason. A masked
// frame (the client-to-server direction) gets a fresh random masking key, as
// RFC 6455 section 5.3 requires.
func closeFrame(code uint16, reason string, masked bool) []byte {
	payload := wsframe.ClosePayload(code, reason)
	if !masked {
		return wsframe.Frame(wsframe.OpClose, payload, nil)
	}
	key := wsframe.NewMask()
	return wsframe.Frame(wsframe.OpClose, payload, &key)
}
