package wsframe

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestAcceptKey(t *testing.T) {
	g := NewWithT(t)
	// The example of RFC 6455 section 1.3.
	g.Expect(AcceptKey("dGhlIHNhbXBsZSBub25jZQ==")).To(Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
}

func TestMaskMatchesBytewise(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for _, tc := range []struct{ pos, n int }{{0, 0}, {0, 3}, {1, 17}, {2, 64}, {3, 16385}} {
		g := NewWithT(t)
		b := make([]byte, tc.n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		want := bytes.Clone(b)
		for i := range want {
			want[i] ^= key[(tc.pos+i)&3]
		}
		next := Mask(key, tc.pos, b)
		g.Expect(b).To(Equal(want), "pos %d len %d", tc.pos, tc.n)
		g.Expect(next).To(Equal((tc.pos + tc.n) & 3))
	}
}

func TestNewMaskIsFresh(t *testing.T) {
	NewWithT(t).Expect(NewMask()).NotTo(Equal(NewMask()), "fresh masking key per frame")
}

func TestFrameRoundTrip(t *testing.T) {
	mask := [4]byte{1, 2, 3, 4}
	for _, tc := range []struct {
		name string
		n    int
		mask *[4]byte
	}{
		{"short unmasked", 64, nil},
		{"16-bit length masked", 16384, &mask},
		{"64-bit length masked", 70000, &mask},
		{"empty", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			payload := bytes.Repeat([]byte{'x'}, tc.n)
			f := Frame(OpBinary, payload, tc.mask)
			g.Expect(payload).To(Equal(bytes.Repeat([]byte{'x'}, tc.n)), "the payload is not modified")
			br := bufio.NewReader(bytes.NewReader(f))
			h, err := ReadHeader(br, 1<<20)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(h.Fin).To(BeTrue())
			g.Expect(h.Opcode).To(Equal(byte(OpBinary)))
			g.Expect(h.Length).To(Equal(int64(tc.n)))
			g.Expect(h.Masked).To(Equal(tc.mask != nil))
			rest, err := io.ReadAll(br)
			g.Expect(err).NotTo(HaveOccurred())
			if h.Masked {
				g.Expect(h.Mask).To(Equal(*tc.mask))
				Mask(h.Mask, 0, rest)
			}
			g.Expect(bytes.Equal(rest, payload)).To(BeTrue(), "payload differs after the round trip")
		})
	}
}

func TestReadHeaderLimit(t *testing.T) {
	g := NewWithT(t)
	f := Frame(OpBinary, make([]byte, 2000), nil)
	_, err := ReadHeader(bufio.NewReader(bytes.NewReader(f)), 1024)
	g.Expect(err).To(MatchError(ErrTooLarge))
	var le *LengthError
	g.Expect(errors.As(err, &le)).To(BeTrue())
	g.Expect(le.Length).To(BeEquivalentTo(2000))
	g.Expect(le.Limit).To(BeEquivalentTo(1024))
	g.Expect(err.Error()).To(Equal("websocket frame too large: 2000 bytes, limit 1024"))
}

func TestParseHeader(t *testing.T) {
	key := [4]byte{0xa1, 0xb2, 0xc3, 0xd4}
	for _, tc := range []struct {
		name string
		in   []byte
		want Header
	}{
		{"7-bit length", []byte{0x81, 5}, Header{Fin: true, Opcode: OpText, Length: 5}},
		{"longest 7-bit length", []byte{0x82, 125}, Header{Fin: true, Opcode: OpBinary, Length: 125}},
		{"16-bit length, not final", []byte{0x02, 126, 0x01, 0x00}, Header{Opcode: OpBinary, Length: 256}},
		{"64-bit length masked", append([]byte{0x80, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0}, key[:]...),
			Header{Fin: true, Opcode: OpContinuation, Masked: true, Mask: key, Length: 65536}},
		{"reserved bits", []byte{0xc1, 0}, Header{Fin: true, Rsv: 0x40, Opcode: OpText}},
		{"all reserved bits, control", []byte{0xf9, 0x80 | 2, 1, 2, 3, 4}, Header{Fin: true, Rsv: 0x70, Opcode: OpPing, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			// Payload bytes after the header are not part of it.
			h, n, err := ParseHeader(append(bytes.Clone(tc.in), 'p', 'q'), 1<<20)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(h).To(Equal(tc.want))
			g.Expect(n).To(Equal(len(tc.in)))
			g.Expect(HeaderLen(tc.in[1])).To(Equal(len(tc.in)))
			g.Expect(n).To(BeNumerically("<=", MaxHeader))
			// Every prefix is short; the fields of the first two bytes are known from two bytes on.
			for cut := range len(tc.in) {
				h, n, err := ParseHeader(tc.in[:cut], 1<<20)
				g.Expect(err).To(MatchError(io.ErrUnexpectedEOF), "cut at %d", cut)
				g.Expect(n).To(BeZero())
				if cut >= 2 {
					g.Expect(h).To(Equal(Header{Fin: tc.want.Fin, Rsv: tc.want.Rsv, Opcode: tc.want.Opcode, Masked: tc.want.Masked}))
				}
			}
		})
	}
}

func TestParseHeaderLength(t *testing.T) {
	g := NewWithT(t)
	// A 64-bit length with the most significant bit set is over every limit.
	top := []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}
	h, n, err := ParseHeader(top, 1<<62)
	g.Expect(err).To(MatchError(ErrTooLarge))
	var le *LengthError
	g.Expect(errors.As(err, &le)).To(BeTrue())
	g.Expect(le.Length).To(Equal(uint64(1<<63 + 1)))
	g.Expect(n).To(BeZero())
	g.Expect(h).To(Equal(Header{Fin: true, Opcode: OpBinary}))
	// The limit itself is allowed.
	h, _, err = ParseHeader([]byte{0x82, 126, 0x04, 0x00}, 1024)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.Length).To(BeEquivalentTo(1024))
	_, _, err = ParseHeader([]byte{0x82, 126, 0x04, 0x01}, 1024)
	g.Expect(err).To(MatchError(ErrTooLarge))
}

// failingReader returns its bytes, then err.
type failingReader struct {
	b   []byte
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestReadHeaderErrors(t *testing.T) {
	errBroken := errors.New("connection broken")
	for _, tc := range []struct {
		name    string
		in      []byte
		readErr error
		wantErr error
		want    Header
	}{
		{"nothing", nil, io.EOF, io.EOF, Header{}},
		{"one byte", []byte{0x81}, io.EOF, io.ErrUnexpectedEOF, Header{}},
		{"cut in the extended length", []byte{0xc2, 126, 0x01}, io.EOF, io.ErrUnexpectedEOF, Header{Fin: true, Rsv: 0x40, Opcode: OpBinary}},
		{"cut in the mask", []byte{0x89, 0x82, 1, 2}, io.EOF, io.ErrUnexpectedEOF, Header{Fin: true, Opcode: OpPing, Masked: true}},
		{"reader error unchanged", []byte{0x8a, 126}, errBroken, errBroken, Header{Fin: true, Opcode: OpPong}},
		{"reader error at a boundary", nil, errBroken, errBroken, Header{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			br := bufio.NewReader(&failingReader{b: tc.in, err: tc.readErr})
			h, err := ReadHeader(br, 1<<20)
			g.Expect(err).To(BeIdenticalTo(tc.wantErr))
			g.Expect(h).To(Equal(tc.want))
			g.Expect(br.Buffered()).To(Equal(len(tc.in)), "nothing consumed on error")
		})
	}
}

func TestClosePayload(t *testing.T) {
	g := NewWithT(t)
	p := ClosePayload(CloseGoingAway, "bye")
	g.Expect(p).To(Equal([]byte{0x03, 0xe9, 'b', 'y', 'e'}))
	code, reason := ParseClose(p)
	g.Expect(code).To(BeEquivalentTo(CloseGoingAway))
	g.Expect(reason).To(Equal("bye"))
	g.Expect(ClosePayload(CloseNormal, "")).To(Equal([]byte{0x03, 0xe8}))
	g.Expect(ClosePayload(CloseGoingAway, strings.Repeat("x", 300))).To(HaveLen(MaxControlPayload))

	code, reason = ParseClose([]byte{0x03, 0xf3, 'b', 'y', 'e'})
	g.Expect(code).To(BeEquivalentTo(1011))
	g.Expect(reason).To(Equal("bye"))
	for _, short := range [][]byte{nil, {0x03}} {
		code, reason = ParseClose(short)
		g.Expect(code).To(BeEquivalentTo(CloseNoStatus))
		g.Expect(reason).To(BeEmpty())
	}
	_, reason = ParseClose([]byte{0x03, 0xe8, 0xff})
	g.Expect(reason).To(Equal("\xff"), "the reason as sent")
}
