//go:build linux || darwin || freebsd || netbsd || openbsd

package proxy

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"
)

// batchConn holds what is written to it, once hold is set, until flush
// sends it in one write: the peer then finds several TLS records in its
// socket at once.
type batchConn struct {
	net.Conn
	hold bool
	held []byte
}

func (c *batchConn) Write(p []byte) (int, error) {
	if !c.hold {
		return c.Conn.Write(p)
	}
	c.held = append(c.held, p...)
	return len(p), nil
}

func (c *batchConn) flush() error {
	_, err := c.Conn.Write(c.held)
	c.held = c.held[:0]
	return err
}

// A message the client sent as a full TLS record and a small one (as Node's
// ws and browsers send a 16 KiB message with its frame header) is read in
// one go, so the backend gets it in one write.
func TestTryReadRecordsTakesEveryBufferedRecord(t *testing.T) {
	_, c, peer := sockPair(t)
	ca := newTestCA(t, "records CA")
	certPEM, keyPEM := ca.issue(t, leafOpts{})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	rc := newRawConn(c, nil)
	srv := tls.Server(rc, &tls.Config{Certificates: []tls.Certificate{pair}})
	bc := &batchConn{Conn: peer}
	cli := tls.Client(bc, &tls.Config{RootCAs: ca.pool(), ServerName: "localhost"})
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_ = peer.SetDeadline(time.Now().Add(10 * time.Second))

	done := make(chan error, 1)
	go func() { done <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	bc.hold = true
	msg := pattern(16<<10 + 8) // more than one record's worth
	if _, err := cli.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := bc.flush(); err != nil {
		t.Fatal(err)
	}
	s := side{conn: srv, raw: rc, sock: rc.sock}
	if err := rc.sock.waitReadable(); err != nil {
		t.Fatalf("waitReadable: %v", err)
	}
	settle() // the rest of the one write, should loopback deliver it in parts
	buf := make([]byte, bufSize)
	n, err := s.tryReadRecords(buf)
	if err != nil && !errors.Is(err, errWouldBlock) {
		t.Fatalf("tryReadRecords: %v", err)
	}
	if n != len(msg) || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("tryReadRecords read %d bytes, want the whole message of %d", n, len(msg))
	}
	// A plain tryRead stops at the record boundary: what made two writes.
	if _, err := cli.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := bc.flush(); err != nil {
		t.Fatal(err)
	}
	settle()
	if n, _ := s.tryRead(buf); n >= len(msg) {
		t.Fatalf("tryRead read %d bytes at once; the test no longer shows the records' boundary", n)
	}
}
