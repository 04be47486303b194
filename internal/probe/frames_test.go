package probe

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// The header codec is wsframe's (fuzzed there); these are the probe's rules
// on top of it.
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
		{name: "pong", in: []byte{0x8a, 0x03, 'a', 'b', 'c'}, wantOp: wsframe.OpPong, wantLen: 3, wantBody: []byte("abc")},
		{name: "empty ping", in: []byte{0x89, 0x00}, wantOp: wsframe.OpPing},
		{name: "close with code", in: []byte{0x88, 0x02, 0x03, 0xe8}, wantOp: wsframe.OpClose, wantLen: 2, wantBody: []byte{0x03, 0xe8}},
		{name: "text skipped", in: []byte{0x81, 0x02, 'h', 'i'}, wantOp: wsframe.OpText, wantLen: 2},
		{name: "16-bit length", in: append([]byte{0x82, 126, 0x01, 0x00}, make([]byte, 256)...), wantOp: wsframe.OpBinary, wantLen: 256},
		{name: "64-bit length", in: append(long(wsframe.OpBinary, 70000), make([]byte, 70000)...), wantOp: wsframe.OpBinary, wantLen: 70000},
		{name: "masked by server", in: []byte{0x8a, 0x80 | 0x01, 1, 2, 3, 4, 'x'}, wantErr: "masked"},
		{name: "masked by server, cut short", in: []byte{0x8a, 0x80 | 126}, wantErr: "masked"},
		{name: "reserved bits", in: []byte{0xca, 0x00}, wantErr: "reserved bits set (0x40)"},
		{name: "reserved bits, cut short", in: []byte{0xca, 126}, wantErr: "reserved bits"},
		{name: "fragmented control", in: []byte{0x09, 0x00}, wantErr: "control frame"},
		{name: "control too long", in: append([]byte{0x89, 126, 0x00, 0x7e}, make([]byte, 126)...), wantErr: "control frame"},
		{name: "unknown opcode", in: []byte{0x83, 0x00}, wantErr: "unknown opcode"},
		{name: "huge data frame", in: long(wsframe.OpBinary, 1<<40), wantErr: "data frame of"},
		{name: "length with the top bit set", in: long(wsframe.OpBinary, 1<<63+5), wantErr: "data frame of 9223372036854775813 bytes"},
		{name: "control length with the top bit set", in: long(wsframe.OpPing, 1<<63), wantErr: "control frame 0x9 with length 9223372036854775808"},
		{name: "truncated payload", in: []byte{0x8a, 0x05, 'a'}, wantErr: "EOF"},
		{name: "truncated header", in: []byte{0x8a}, wantErr: "EOF"},
		{name: "truncated extended length", in: []byte{0x82, 127, 0}, wantErr: "EOF"},
		{name: "nothing", in: nil, wantErr: "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			f, err := readFrame(bufio.NewReader(bytes.NewReader(tt.in)))
			// Errors are I/O or protocol errors; control payloads stay within 125 bytes.
			if _, ok := errors.AsType[*protocolError](err); !ok && err != nil {
				g.Expect(err).To(Or(MatchError(io.EOF), MatchError(io.ErrUnexpectedEOF)))
			}
			g.Expect(len(f.payload)).To(BeNumerically("<=", wsframe.MaxControlPayload))
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
	g.Expect(writeFrame(&buf, wsframe.OpPing, payload)).To(Succeed())
	b := buf.Bytes()
	g.Expect(b[0]).To(Equal(byte(0x80 | wsframe.OpPing)))
	g.Expect(b[1]).To(Equal(byte(0x80 | len(payload))))
	mask, masked := b[2:6], b[6:]
	got := make([]byte, len(masked))
	for i := range masked {
		got[i] = masked[i] ^ mask[i%4]
	}
	g.Expect(got).To(Equal(payload))
	g.Expect(writeFrame(io.Discard, wsframe.OpPing, make([]byte, 126))).NotTo(Succeed())
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
