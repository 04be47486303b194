package wsframe

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadHeader reads arbitrary bytes as a stream of frames, skipping the
// payloads: no panic, ReadHeader and ParseHeader agree on every header and
// error, errors are only io.EOF at a frame boundary, io.ErrUnexpectedEOF
// inside a header, or a *LengthError, lengths stay within the limit, and a
// decoded header encodes back to itself.
func FuzzReadHeader(f *testing.F) {
	f.Add([]byte{0x8a, 0x03, 'a', 'b', 'c'})
	f.Add([]byte{0x88, 0x02, 0x03, 0xe8})
	f.Add([]byte{0x82, 126, 0x00, 0x02, 'h', 'i'})
	f.Add([]byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0, 1, 'x'})
	f.Add([]byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 0x81, 0})
	f.Add([]byte{0xc1, 0x85, 1, 2, 3, 4, 'h', 'e', 'l', 'l', 'o'})
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), 16) // the smallest buffer
		off := 0
		for {
			h, err := ReadHeader(br, limit)
			ph, n, perr := ParseHeader(data[off:], limit)
			if h != ph {
				t.Fatalf("at %d: ReadHeader %+v, ParseHeader %+v", off, h, ph)
			}
			switch {
			case err == nil:
				if perr != nil || n != HeaderLen(data[off+1]) || n > MaxHeader {
					t.Fatalf("at %d: ParseHeader error %v, length %d", off, perr, n)
				}
				if h.Length < 0 || h.Length > limit {
					t.Fatalf("at %d: length %d accepted with limit %d", off, h.Length, limit)
				}
				var mask *[4]byte
				if h.Masked {
					mask = &h.Mask
				}
				want := h
				want.Rsv = 0 // AppendHeader does not set reserved bits
				again, _, err := ParseHeader(AppendHeader(nil, h.Fin, h.Opcode, int(h.Length), mask), limit)
				if err != nil || again != want {
					t.Fatalf("at %d: %+v encodes back to %+v, %v", off, want, again, err)
				}
				off += n
				skipped, _ := br.Discard(int(h.Length))
				off += skipped
				if skipped < int(h.Length) {
					return
				}
			case err == io.EOF:
				if off != len(data) || perr != io.ErrUnexpectedEOF {
					t.Fatalf("EOF at %d of %d bytes, ParseHeader %v", off, len(data), perr)
				}
				return
			case err == io.ErrUnexpectedEOF:
				if off == len(data) || perr != io.ErrUnexpectedEOF {
					t.Fatalf("unexpected EOF at %d of %d bytes, ParseHeader %v", off, len(data), perr)
				}
				return
			case errors.Is(err, ErrTooLarge):
				le, ple := new(LengthError), new(LengthError)
				if !errors.As(err, &le) || !errors.As(perr, &ple) || *le != *ple || le.Length <= limit {
					t.Fatalf("at %d: %v, ParseHeader %v", off, err, perr)
				}
				return
			default:
				t.Fatalf("unexpected error kind: %v", err)
			}
		}
	})
}
