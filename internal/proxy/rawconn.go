package proxy

import (
	"bufio"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// bufSize is the size of the pooled copy buffers: two TLS records of
// plaintext, so one Read on a *tls.Conn never leaves data behind for lack
// of room, and a message split over a full record and a small one goes
// out in one write (see side.tryReadRecords).
const bufSize = 32 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

// readerPool holds the small readers used for the backend's answer to an
// upgrade.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}

func getReader(r io.Reader) *bufio.Reader {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readerPool.Put(br)
}

// errWouldBlock is what a non-blocking read returns when no data is
// buffered. It is a temporary net.Error, so crypto/tls leaves the connection
// usable after seeing it.
var errWouldBlock error = wouldBlockError{}

type wouldBlockError struct{}

func (wouldBlockError) Error() string   { return "read would block" }
func (wouldBlockError) Timeout() bool   { return true }
func (wouldBlockError) Temporary() bool { return true }

// rawConn is an accepted client TCP connection, under the *tls.Conn. It
// accounts for the connection (active gauge, connection slot) exactly once
// when closed, remembers whether the client sent any byte, and can be
// switched into non-blocking reads so that a splice loop can ask crypto/tls
// for buffered records without waiting on the network.
type rawConn struct {
	net.Conn
	sock     *sock // nil when the conn is not a socket
	release  func(*rawConn)
	nonBlock atomic.Bool
	// flags are flagGotBytes and flagClosed: one word, which keeps a
	// rawConn at 48 bytes (a sync.Once and two more atomic.Bools take 64).
	flags atomic.Uint32
	// hello is the client's ClientHello while the handshake runs (nil
	// before it arrives and after the handshake succeeded).
	hello atomic.Pointer[clientHello]
}

// newRawConn wraps c; release, when not nil, runs on the first Close (pass a
// func value made once, not a method value per connection: that would be
// one more allocation each connection keeps).
func newRawConn(c net.Conn, release func(*rawConn)) *rawConn {
	return &rawConn{Conn: c, release: release, sock: newSock(c)}
}

func (c *rawConn) Read(p []byte) (int, error) {
	var n int
	var err error
	if c.nonBlock.Load() && c.sock != nil {
		n, err = c.sock.readNonBlocking(p)
	} else {
		n, err = c.Conn.Read(p)
	}
	if n > 0 && !c.gotBytes() {
		c.flags.Or(flagGotBytes)
	}
	return n, err
}

const (
	flagGotBytes = 1 << iota // the client sent a byte
	flagClosed               // Close ran (and released the connection)
)

// gotBytes says whether the client sent any byte.
func (c *rawConn) gotBytes() bool { return c.flags.Load()&flagGotBytes != 0 }

func (c *rawConn) Close() error {
	err := c.Conn.Close()
	if c.flags.Or(flagClosed)&flagClosed == 0 && c.release != nil {
		c.release(c)
	}
	return err
}

// closeWrite half-closes the TCP connection when it can.
func closeWrite(c net.Conn) error {
	if rc, ok := c.(*rawConn); ok {
		c = rc.Conn
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
