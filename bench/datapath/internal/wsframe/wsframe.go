package wsframe

import (
	"bufio"
	"crypto/sha1" //nolint:gosec // RFC 6455 defines the accept key with SHA-1.
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
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

// MaxHeader is the longest frame header: 2 bytes, 8 bytes of length, 4 of mask.
const MaxHeader = 14

const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey is the Sec-WebSocket-Accept value for a Sec-WebSocket-Key.
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + acceptGUID)) //nolint:gosec // see import
	return base64.StdEncoding.EncodeToString(h[:])
}

// Header is one frame header.
type Header struct {
	Fin    bool
	Opcode byte
	Masked bool
	Mask   [4]byte
	Length int64
}

// ErrTooLarge is returned by ReadHeader for a payload over the caller's limit.
var ErrTooLarge = errors.New("websocket frame too large")

// ReadHeader reads one frame header from br. Payloads longer than limit are
// refused with ErrTooLarge.
func ReadHeader(br *bufio.Reader, limit int64) (Header, error) {
	var h Header
	b0, err := br.ReadByte()
	if err != nil {
		return h, err
	}
	b1, err := br.ReadByte()
	if err != nil {
		return h, fmt.Errorf("reading frame header: %w", err)
	}
	h.Fin = b0&0x80 != 0
	h.Opcode = b0 & 0x0f
	h.Masked = b1&0x80 != 0
	var ext []byte
	switch n := b1 & 0x7f; n {
	case 126:
		if ext, err = br.Peek(2); err != nil {
			return h, fmt.Errorf("reading frame length: %w", err)
		}
		h.Length = int64(binary.BigEndian.Uint16(ext))
		_, _ = br.Discard(2)
	case 127:
		if ext, err = br.Peek(8); err != nil {
			return h, fmt.Errorf("reading frame length: %w", err)
		}
		h.Length = int64(binary.BigEndian.Uint64(ext) & (1<<63 - 1))
		_, _ = br.Discard(8)
	default:
		h.Length = int64(n)
	}
	if h.Length > limit {
		return h, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, h.Length, limit)
	}
	if h.Masked {
		if ext, err = br.Peek(4); err != nil {
			return h, fmt.Errorf("reading frame mask: %w", err)
		}
		copy(h.Mask[:], ext)
		_, _ = br.Discard(4)
	}
	return h, nil
}

// AppendHeader appends a frame header to dst; mask nil means unmasked
// (server to client).
func AppendHeader(dst []byte, fin bool, opcode byte, length int, mask *[4]byte) []byte {
	b0 := opcode & 0x0f
	if fin {
		b0 |= 0x80
	}
	var m byte
	if mask != nil {
		m = 0x80
	}
	switch {
	case length < 126:
		dst = append(dst, b0, m|byte(length))
	case length <= 0xffff:
		dst = append(dst, b0, m|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(length))
	default:
		dst = append(dst, b0, m|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(length))
	}
	if mask != nil {
		dst = append(dst, mask[:]...)
	}
	return dst
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

// Frame builds a whole frame: header and payload, masked when mask is set.
// The payload slice is not modified.
func Frame(opcode byte, payload []byte, mask *[4]byte) []byte {
	f := AppendHeader(make([]byte, 0, MaxHeader+len(payload)), true, opcode, len(payload), mask)
	start := len(f)
	f = append(f, payload...)
	if mask != nil {
		Mask(*mask, 0, f[start:])
	}
	return f
}
