package probe

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	. "github.com/onsi/gomega"
)

func TestReadFrame(t *testing.T) {
	long := func(op byte, n uint64) []byte {
		b := []byte{0x80 | op, 127}
		return binary.BigEndian.AppendUint64(b, n)
	}
	tests := []struct {
		name     string
		in       []byte
		wantOp   byte
		wantLen  uint64
		wantBody []byte
		wantErr  string
	}{
		{name: "pong", in: []byte{0x8a, 0x03, 'a', 'b', 'c'}, wantOp: opPong, wantLen: 3, wantBody: []byte("abc")},
		{name: "empty ping", in: []byte{0x89, 0x00}, wantOp: opPing},
		{name: "close with code", in: []byte{0x88, 0x02, 0x03, 0xe8}, wantOp: opClose, wantLen: 2, wantBody: []byte{0x03, 0xe8}},
		{name: "text skipped", in: []byte{0x81, 0x02, 'h', 'i'}, wantOp: opText, wantLen: 2},
		{name: "16-bit length", in: append([]byte{0x82, 126, 0x01, 0x00}, make([]byte, 256)...), wantOp: opBinary, wantLen: 256},
		{name: "64-bit length", in: append(long(opBinary, 70000), make([]byte, 70000)...), wantOp: opBinary, wantLen: 70000},
		{name: "masked by server", in: []byte{0x8a, 0x80 | 0x01, 1, 2, 3, 4, 'x'}, wantErr: "masked"},
		{name: "reserved bits", in: []byte{0xca, 0x00}, wantErr: "reserved bits"},
		{name: "fragmented control", in: []byte{0x09, 0x00}, wantErr: "control frame"},
		{name: "control too long", in: append([]byte{0x89, 126, 0x00, 0x7e}, make([]byte, 126)...), wantErr: "control frame"},
		{name: "unknown opcode", in: []byte{0x83, 0x00}, wantErr: "unknown opcode"},
		{name: "huge data frame", in: long(opBinary, 1<<40), wantErr: "data frame of"},
		{name: "truncated payload", in: []byte{0x8a, 0x05, 'a'}, wantErr: "EOF"},
		{name: "truncated header", in: []byte{0x8a}, wantErr: "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			f, err := readFrame(bufio.NewReader(bytes.NewReader(tt.in)))
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(f.opcode).To(Equal(tt.wantOp))
			g.Expect(f.length).To(Equal(tt.wantLen))
			if tt.wantBody != nil {
				g.Expect(f.payload).To(Equal(tt.wantBody))
			}
		})
	}
}

func TestWriteFrameIsMasked(t *testing.T) {
	g := NewWithT(t)
	var buf bytes.Buffer
	payload := []byte("probe-payload")
	g.Expect(writeFrame(&buf, opPing, payload)).To(Succeed())
	b := buf.Bytes()
	g.Expect(b[0]).To(Equal(byte(0x80 | opPing)))
	g.Expect(b[1]).To(Equal(byte(0x80 | len(payload))))
	mask, masked := b[2:6], b[6:]
	got := make([]byte, len(masked))
	for i := range masked {
		got[i] = masked[i] ^ mask[i%4]
	}
	g.Expect(got).To(Equal(payload))
	g.Expect(writeFrame(io.Discard, opPing, make([]byte, 126))).NotTo(Succeed())
}

func TestClosePayload(t *testing.T) {
	g := NewWithT(t)
	code, reason := closePayload([]byte{0x03, 0xf3, 'b', 'y', 'e'})
	g.Expect(code).To(Equal(1011))
	g.Expect(reason).To(Equal("bye"))
	code, _ = closePayload(nil)
	g.Expect(code).To(Equal(1005))
	_, reason = closePayload([]byte{0x03, 0xe8, 0xff})
	g.Expect(reason).To(Equal(`"\xff"`))
}

// FuzzReadFrame feeds arbitrary server bytes to the frame reader: no panic,
// control payloads within 125 bytes, and errors are I/O or protocol errors.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0x8a, 0x03, 'a', 'b', 'c'})
	f.Add([]byte{0x88, 0x02, 0x03, 0xe8})
	f.Add([]byte{0x82, 126, 0x00, 0x02, 'h', 'i'})
	f.Add([]byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0, 1, 'x'})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		for {
			fr, err := readFrame(r)
			if err != nil {
				var pe *protocolError
				if !errors.As(err, &pe) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				return
			}
			if fr.opcode >= opClose && len(fr.payload) > 125 {
				t.Fatalf("control payload of %d bytes", len(fr.payload))
			}
		}
	})
}
