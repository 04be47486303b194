package proxy

import (
	"encoding/binary"
	"testing"

	. "github.com/onsi/gomega"
)

// frameSpec describes one frame for building test streams.
type frameSpec struct {
	fin    bool
	opcode byte
	masked bool
	n      int // payload length
}

func buildFrame(f frameSpec) []byte {
	b0 := f.opcode
	if f.fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	var mask byte
	if f.masked {
		mask = 0x80
	}
	switch {
	case f.n < 126:
		out = append(out, mask|byte(f.n))
	case f.n < 1<<16:
		out = append(out, mask|126)
		out = binary.BigEndian.AppendUint16(out, uint16(f.n))
	default:
		out = append(out, mask|127)
		out = binary.BigEndian.AppendUint64(out, uint64(f.n))
	}
	if f.masked {
		out = append(out, 0xa1, 0xb2, 0xc3, 0xd4)
	}
	return append(out, pattern(f.n)...)
}

// refBoundaries parses a whole stream non-incrementally: the offsets where
// frames end, whether a close frame header was complete, and whether the
// framing is invalid.
func refBoundaries(data []byte) (bounds []int, closeSeen, broken bool) {
	off := 0
	for off+2 <= len(data) {
		b1 := data[off+1]
		hl := 2
		switch b1 & 0x7f {
		case 126:
			hl += 2
		case 127:
			hl += 8
		}
		if b1&0x80 != 0 {
			hl += 4
		}
		if off+hl > len(data) {
			break
		}
		n := uint64(b1 & 0x7f)
		switch n {
		case 126:
			n = uint64(binary.BigEndian.Uint16(data[off+2:]))
		case 127:
			n = binary.BigEndian.Uint64(data[off+2:])
			if n>>63 != 0 {
				return bounds, closeSeen, true
			}
		}
		if data[off]&0x0f == opClose {
			closeSeen = true
		}
		if n > uint64(len(data)-off-hl) {
			break
		}
		off += hl + int(n)
		bounds = append(bounds, off)
	}
	return bounds, closeSeen, false
}

// trackBoundaries feeds data in chunks split at the given offsets and
// records every offset at which the tracker says it is at a boundary.
func trackBoundaries(t testing.TB, data []byte, splits []int) (*frameTracker, []int) {
	var tr frameTracker
	var bounds []int
	pos := 0
	feed := func(chunk []byte) {
		for len(chunk) > 0 {
			n := tr.toBoundary(chunk)
			if n < 1 || n > len(chunk) {
				t.Fatalf("toBoundary consumed %d of %d bytes", n, len(chunk))
			}
			pos += n
			chunk = chunk[n:]
			if tr.atBoundary() {
				bounds = append(bounds, pos)
			} else if len(chunk) > 0 && !tr.broken {
				t.Fatalf("toBoundary stopped at %d without a boundary", pos)
			}
		}
	}
	prev := 0
	for _, s := range splits {
		if s > prev && s <= len(data) {
			feed(data[prev:s])
			prev = s
		}
	}
	feed(data[prev:])
	return &tr, bounds
}

func TestFrameTracker(t *testing.T) {
	cases := []struct {
		name   string
		frames []frameSpec
	}{
		{"empty text frame", []frameSpec{{fin: true, opcode: 1}}},
		{"small masked", []frameSpec{{fin: true, opcode: 2, masked: true, n: 5}}},
		{"length 125 and 126", []frameSpec{{fin: true, opcode: 2, n: 125}, {fin: true, opcode: 2, masked: true, n: 126}}},
		{"16-bit length edge", []frameSpec{{fin: true, opcode: 2, n: 65535}}},
		{"64-bit length", []frameSpec{{fin: true, opcode: 2, masked: true, n: 65536}}},
		{"fragmented message with a ping between fragments", []frameSpec{
			{opcode: 1, masked: true, n: 10}, {fin: true, opcode: 9, masked: true, n: 4},
			{opcode: 0, masked: true, n: 300}, {fin: true, opcode: 0, masked: true, n: 0},
		}},
		{"close with payload", []frameSpec{{fin: true, opcode: 2, n: 3}, {fin: true, opcode: 8, n: 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var data []byte
			var want []int
			for _, f := range tc.frames {
				data = append(data, buildFrame(f)...)
				want = append(want, len(data))
			}
			ref, refClose, _ := refBoundaries(data)
			g.Expect(ref).To(Equal(want))
			// In one piece, byte by byte, and split at every offset.
			tr, got := trackBoundaries(t, data, nil)
			g.Expect(got).To(Equal(want))
			g.Expect(tr.closeSeen).To(Equal(refClose))
			g.Expect(tr.frames).To(BeEquivalentTo(len(tc.frames)))
			every := make([]int, len(data))
			for i := range every {
				every[i] = i + 1
			}
			_, got = trackBoundaries(t, data, every)
			g.Expect(got).To(Equal(want))
			for split := 1; split < len(data); split += max(1, len(data)/97) {
				_, got = trackBoundaries(t, data, []int{split})
				g.Expect(got).To(Equal(want), "split at %d", split)
			}
		})
	}
}

func TestFrameTrackerCloseAndBroken(t *testing.T) {
	g := NewWithT(t)
	var tr frameTracker
	g.Expect(tr.atBoundary()).To(BeTrue())
	closeF := buildFrame(frameSpec{fin: true, opcode: opClose, n: 2})
	tr.advance(closeF[:3])
	g.Expect(tr.closeSeen).To(BeTrue())
	g.Expect(tr.closeComplete()).To(BeFalse())
	tr.advance(closeF[3:])
	g.Expect(tr.closeComplete()).To(BeTrue())

	// A 64-bit length with the top bit set is not WebSocket: never a boundary again.
	var br frameTracker
	bad := []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}
	br.advance(bad)
	g.Expect(br.broken).To(BeTrue())
	g.Expect(br.atBoundary()).To(BeFalse())
	br.advance(buildFrame(frameSpec{fin: true, opcode: 2, n: 1}))
	g.Expect(br.atBoundary()).To(BeFalse())
}

func TestCloseFrame(t *testing.T) {
	for _, masked := range []bool{false, true} {
		g := NewWithT(t)
		f := closeFrame(CloseGoingAway, drainReason, masked)
		var tr frameTracker
		tr.advance(f)
		g.Expect(tr.closeComplete()).To(BeTrue(), "one complete close frame")
		g.Expect(tr.frames).To(BeEquivalentTo(1))
		g.Expect(f[0]).To(Equal(byte(0x88)))
		g.Expect(f[1]&0x80 != 0).To(Equal(masked))
		payload := f[2:]
		if masked {
			key := payload[:4]
			payload = append([]byte(nil), payload[4:]...)
			for i := range payload {
				payload[i] ^= key[i%4]
			}
		}
		g.Expect(binary.BigEndian.Uint16(payload)).To(Equal(uint16(1001)))
		g.Expect(string(payload[2:])).To(Equal(drainReason))
	}
	g := NewWithT(t)
	g.Expect(closeFrame(1001, string(make([]byte, 300)), false)).To(HaveLen(2 + 125))
	a, b := closeFrame(1001, "", true), closeFrame(1001, "", true)
	g.Expect(a[2:6]).NotTo(Equal(b[2:6]), "fresh masking key per frame")
}
