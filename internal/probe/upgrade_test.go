package probe

import (
	"bufio"
	"io"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestParseUpgradeResponse(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantStatus int
		wantHeader map[string]string
		wantErr    string
		wantRest   string
	}{
		{name: "101 with headers and a frame after the head",
			in:         "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nconnection:  Upgrade \r\nsec-websocket-accept: abc=\r\n\r\n\x8a\x00",
			wantStatus: 101,
			wantHeader: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-Websocket-Accept": "abc="},
			wantRest:   "\x8a\x00"},
		{name: "bare LF line endings", in: "HTTP/1.1 404 Not Found\nContent-Length: 0\n\n", wantStatus: 404,
			wantHeader: map[string]string{"Content-Length": "0"}},
		{name: "HTTP/1.0 without reason phrase", in: "HTTP/1.0 503\r\n\r\n", wantStatus: 503},
		{name: "body stays in the reader", in: "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 4\r\n\r\noops", wantStatus: 502, wantRest: "oops"},
		{name: "not HTTP", in: "SSH-2.0-OpenSSH_9.6\r\n\r\n", wantErr: "malformed status line"},
		{name: "HTTP/2 preface", in: "HTTP/2 200\r\n\r\n", wantErr: "malformed status line"},
		{name: "bad status code", in: "HTTP/1.1 20x OK\r\n\r\n", wantErr: "malformed status code"},
		{name: "status code out of range", in: "HTTP/1.1 999 Nope\r\n\r\n", wantErr: "malformed status code"},
		{name: "header without colon", in: "HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n\r\n", wantErr: "malformed header line"},
		{name: "header name with space", in: "HTTP/1.1 101 X\r\nBad Name: v\r\n\r\n", wantErr: "malformed header line"},
		{name: "folded header", in: "HTTP/1.1 101 X\r\nA: b\r\n c\r\n\r\n", wantErr: "malformed header line"},
		{name: "truncated head", in: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n", wantErr: "EOF"},
		{name: "empty", in: "", wantErr: "EOF"},
		{name: "head too large", in: "HTTP/1.1 101 X\r\nA: " + strings.Repeat("a", maxHeaderBytes) + "\r\n\r\n", wantErr: "exceeds"},
		{name: "many headers too large", in: "HTTP/1.1 101 X\r\n" + strings.Repeat("A: b\r\n", maxHeaderBytes/6+1) + "\r\n", wantErr: "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			r := bufio.NewReader(strings.NewReader(tt.in))
			resp, err := parseUpgradeResponse(r)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(resp.Status).To(Equal(tt.wantStatus))
			g.Expect(resp.StatusLine).To(Equal(strings.TrimRight(strings.SplitN(tt.in, "\n", 2)[0], "\r")))
			for k, v := range tt.wantHeader {
				g.Expect(resp.Header.Get(k)).To(Equal(v), k)
			}
			rest, _ := io.ReadAll(r)
			g.Expect(string(rest)).To(Equal(tt.wantRest))
		})
	}
}

// FuzzParseUpgradeResponse feeds arbitrary server answers to the parser: it
// must never panic, never read past its bound, and report a status code in
// range whenever it succeeds.
func FuzzParseUpgradeResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 11\r\n\r\nbad gateway"))
	f.Add([]byte("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"))
	f.Add([]byte("\x15\x03\x03\x00\x02\x02\x28"))
	f.Add([]byte("HTTP/1.1 101\nA:\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var read int64
		resp, err := parseUpgradeResponse(bufio.NewReader(readCounter{strings.NewReader(string(data)), &read}))
		if read > maxHeaderBytes+4096 { // the bound plus one bufio fill
			t.Fatalf("read %d bytes", read)
		}
		if err != nil {
			return
		}
		if resp.Status < 100 || resp.Status > 599 {
			t.Fatalf("status %d accepted", resp.Status)
		}
		if len(resp.StatusLine) > maxHeaderBytes {
			t.Fatalf("status line of %d bytes", len(resp.StatusLine))
		}
	})
}

func BenchmarkParseUpgradeResponse(b *testing.B) {
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseUpgradeResponse(bufio.NewReader(strings.NewReader(resp))); err != nil {
			b.Fatal(err)
		}
	}
}
