package wsframe

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 6455 defines the accept key with SHA-1.
	"encoding/base64"
	"encoding/binary"
)

// Opcodes (RFC 6455 section 5.2).
const (
	OpContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	OpClose        = 0x8
	OpPing         = 0x9
	OpPong         = 0xA
)

// Close codes (RFC 6455 section 7.4.1).
const (
	// CloseNormal is a normal closure.
	CloseNormal = 1000
	// CloseGoingAway is "an endpoint is going away", such as a server (or
	// a proxy) shutting down.
	CloseGoingAway = 1001
	// CloseNoStatus is never sent: it stands for a close frame without a
	// status code.
	CloseNoStatus = 1005
)

// MaxHeader is the longest frame header: 2 bytes, 8 bytes of length, 4 of mask.
const MaxHeader = 14

// MaxControlPayload is the longest payload of a control frame (close, ping,
// pong; RFC 6455 section 5.5).
const MaxControlPayload = 125

// acceptGUID is the constant of RFC 6455 section 1.3.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey is the Sec-WebSocket-Accept value for a Sec-WebSocket-Key.
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + acceptGUID)) //nolint:gosec // see import
	return base64.StdEncoding.EncodeToString(h[:])
}

// Mask XORs b with key, starting at key offset pos, and returns the offset
// for the next byte (masking and unmasking are the same operation).
func Mask(key [4]byte, pos int, b []byte) int {
	i := 0
	if len(b) >= 16 {
		// Eight bytes at a time with the key rotated to this offset.
		var k [8]byte
		for j := range k {
			k[j] = key[(pos+j)&3]
		}
		k64 := binary.LittleEndian.Uint64(k[:])
		for ; i+8 <= len(b); i += 8 {
			v := binary.LittleEndian.Uint64(b[i:])
			binary.LittleEndian.PutUint64(b[i:], v^k64)
		}
	}
	for ; i < len(b); i++ {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

// NewMask returns a fresh random masking key: RFC 6455 section 5.3 wants
// one per client frame, unpredictable to the network.
func NewMask() [4]byte {
	var key [4]byte
	_, _ = rand.Read(key[:]) // crypto/rand.Read never returns an error
	return key
}

// Frame builds a whole final frame: header and payload, masked with mask
// when it is not nil (client to server). The payload slice is not modified.
func Frame(opcode byte, payload []byte, mask *[4]byte) []byte {
	f := AppendHeader(make([]byte, 0, MaxHeader+len(payload)), true, opcode, len(payload), mask)
	start := len(f)
	f = append(f, payload...)
	if mask != nil {
		Mask(*mask, 0, f[start:])
	}
	return f
}

// ClosePayload is the payload of a close frame: code, then reason, cut to
// the MaxControlPayload bytes a control frame may carry.
func ClosePayload(code uint16, reason string) []byte {
	p := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), code)
	p = append(p, reason...)
	return p[:min(len(p), MaxControlPayload)]
}

// ParseClose splits the payload of a close frame into its code and reason.
// A payload too short for a code gives CloseNoStatus. The reason is returned
// as sent, whether valid UTF-8 or not.
func ParseClose(p []byte) (code uint16, reason string) {
	if len(p) < 2 {
		return CloseNoStatus, ""
	}
	return binary.BigEndian.Uint16(p), string(p[2:])
}
