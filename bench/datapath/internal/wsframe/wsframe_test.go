package wsframe

import (
	"bufio"
	"bytes"
	"io"
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
}
