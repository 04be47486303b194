package proxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// frameSpec describes one frame for building test streams.
type frameSpec struct {
	fin    bool
	opcode byte
	masked bool
	n      int // payload length
}

// buildFrame is the frame f with pattern(f.n) as its payload (not masked:
// the tracker does not look at payloads).
func buildFrame(f frameSpec) []byte {
	var mask *[4]byte
	if f.masked {
		mask = &testMask
	}
	return append(wsframe.AppendHeader(nil, f.fin, f.opcode, f.n, mask), pattern(f.n)...)
}

// refBoundaries parses a whole stream non-incrementally with wsframe's
// parser: the offsets where frames end, whether a close frame header was
// complete, and whether the framing is invalid.
func refBoundaries(data []byte) (bounds []int, closeSeen, broken bool) {
	off := 0
	for {
		h, hl, err := wsframe.ParseHeader(data[off:], math.MaxInt64)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return bounds, closeSeen, false // the stream ends in a header
		}
		if err != nil {
			return bounds, closeSeen, true
		}
		if h.Opcode == wsframe.OpClose {
			closeSeen = true
		}
		if uint64(h.Length) > uint64(len(data)-off-hl) {
			return bounds, closeSeen, false // the stream ends in a payload
		}
		off += hl + int(h.Length)
		bounds = append(bounds, off)
	}
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
	closeF := buildFrame(frameSpec{fin: true, opcode: wsframe.OpClose, n: 2})
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

// The tracker is on the data path: following frames, whole or byte by
// byte, must not allocate.
func TestFrameTrackerDoesNotAllocate(t *testing.T) {
	var data []byte
	for _, f := range []frameSpec{{fin: true, opcode: wsframe.OpBinary, masked: true, n: 300}, {fin: true, opcode: wsframe.OpPing, n: 0},
		{fin: true, opcode: wsframe.OpBinary, n: 70000}, {fin: true, opcode: wsframe.OpClose, masked: true, n: 2}} {
		data = append(data, buildFrame(f)...)
	}
	var tr frameTracker
	allocs := testing.AllocsPerRun(20, func() {
		tr = frameTracker{}
		tr.advance(data)
		for i := range data {
			tr.advance(data[i : i+1])
		}
	})
	g := NewWithT(t)
	g.Expect(allocs).To(BeZero())
	g.Expect(tr.closeComplete()).To(BeTrue())
}

func TestCloseFrame(t *testing.T) {
	for _, masked := range []bool{false, true} {
		g := NewWithT(t)
		f := closeFrame(wsframe.CloseGoingAway, drainReason, masked)
		var tr frameTracker
		tr.advance(f)
		g.Expect(tr.closeComplete()).To(BeTrue(), "one complete close frame")
		g.Expect(tr.frames).To(BeEquivalentTo(1))
		g.Expect(f[0]).To(Equal(byte(0x88)))
		g.Expect(f[1]&0x80 != 0).To(Equal(masked))
		payload := f[2:]
		if masked {
			payload = bytes.Clone(f[6:])
			wsframe.Mask([4]byte(f[2:6]), 0, payload)
		}
		g.Expect(binary.BigEndian.Uint16(payload)).To(Equal(uint16(1001)))
		g.Expect(string(payload[2:])).To(Equal(drainReason))
	}
	g := NewWithT(t)
	g.Expect(closeFrame(1001, string(make([]byte, 300)), false)).To(HaveLen(2 + 125))
	a, b := closeFrame(1001, "", true), closeFrame(1001, "", true)
	g.Expect(a[2:6]).NotTo(Equal(b[2:6]), "fresh masking key per frame")
}
