package wsframe

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Bits of the first two header bytes (RFC 6455 section 5.2).
const (
	finBit     = 0x80 // first byte: final fragment
	rsvBits    = 0x70 // first byte: RSV1, RSV2, RSV3
	opcodeBits = 0x0f // first byte: opcode
	maskBit    = 0x80 // second byte: payload masked
	lenBits    = 0x7f // second byte: 7-bit length, or 126/127 for 16/64 bits
)

// Header is one frame header.
type Header struct {
	Fin bool
	// Rsv holds the reserved bits RSV1-3 in place (0x40, 0x20, 0x10 of the
	// first byte); an extension such as permessage-deflate gives them a
	// meaning.
	Rsv    byte
	Opcode byte
	Masked bool
	Mask   [4]byte
	Length int64
}

// ErrTooLarge is what a *LengthError is (errors.Is): a payload length over
// the caller's limit.
var ErrTooLarge = errors.New("websocket frame too large")

// LengthError is a frame whose payload length is over the limit the caller
// gave. A 64-bit length with the most significant bit set, which RFC 6455
// section 5.2 forbids, is over every limit.
type LengthError struct {
	// Length is the payload length the header states.
	Length uint64
	// Limit is the caller's limit.
	Limit int64
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("%v: %d bytes, limit %d", ErrTooLarge, e.Length, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *LengthError) Is(target error) bool { return target == ErrTooLarge }

// HeaderLen is the length of a frame header whose second byte is b1: two
// bytes, plus 2 or 8 of extended length, plus 4 of masking key.
func HeaderLen(b1 byte) int {
	n := 2
	switch b1 & lenBits {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&maskBit != 0 {
		n += 4
	}
	return n
}

// ParseHeader decodes the frame header at the start of b and returns it
// with its length in bytes. When b holds less than a whole header it
// returns io.ErrUnexpectedEOF; when the payload length is over limit, a
// *LengthError. On error n is 0 and only the fields of the first two bytes
// (Fin, Rsv, Opcode, Masked) are set, if b has them.
func ParseHeader(b []byte, limit int64) (h Header, n int, err error) {
	if len(b) < 2 {
		return h, 0, io.ErrUnexpectedEOF
	}
	h.Fin = b[0]&finBit != 0
	h.Rsv = b[0] & rsvBits
	h.Opcode = b[0] & opcodeBits
	h.Masked = b[1]&maskBit != 0
	n = HeaderLen(b[1])
	if len(b) < n {
		return h, 0, io.ErrUnexpectedEOF
	}
	var length uint64
	switch l := b[1] & lenBits; l {
	case 126:
		length = uint64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		length = binary.BigEndian.Uint64(b[2:10])
	default:
		length = uint64(l)
	}
	if int64(length) < 0 || int64(length) > limit {
		return h, 0, &LengthError{Length: length, Limit: limit}
	}
	h.Length = int64(length)
	if h.Masked {
		copy(h.Mask[:], b[n-4:n])
	}
	return h, n, nil
}

// ReadHeader reads one frame header from br, as ParseHeader decodes it.
// Errors of br come back as io.ReadFull gives them: io.EOF when no byte of
// the header came, io.ErrUnexpectedEOF when it is cut short, any other
// error unchanged. The header is consumed only when no error is returned;
// on error the fields of the first two bytes are set if they arrived.
func ReadHeader(br *bufio.Reader, limit int64) (Header, error) {
	b, err := br.Peek(2)
	if len(b) < 2 {
		return Header{}, readErr(len(b), err)
	}
	n := HeaderLen(b[1])
	if b, err = br.Peek(n); len(b) < n {
		h, _, _ := ParseHeader(b, limit)
		return h, readErr(len(b), err)
	}
	h, _, err := ParseHeader(b, limit)
	if err == nil {
		_, _ = br.Discard(n)
	}
	return h, err
}

// readErr is the error of a read that got n bytes of a header, as
// io.ReadFull would report it.
func readErr(n int, err error) error {
	if n > 0 && errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendHeader appends a frame header to dst; mask nil means unmasked
// (server to client).
func AppendHeader(dst []byte, fin bool, opcode byte, length int, mask *[4]byte) []byte {
	b0 := opcode & opcodeBits
	if fin {
		b0 |= finBit
	}
	var m byte
	if mask != nil {
		m = maskBit
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
