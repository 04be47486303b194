//go:build linux || darwin || freebsd || netbsd || openbsd

package proxy

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// sock reads a socket without blocking and waits for it to become readable
// without a buffer. It is small (112 bytes; one per side of every
// WebSocket): the one callback syscall.RawConn needs is allocated once per
// socket, not per call, and runs the operation op names.
//
// Every wait is one RawConn.Read whose callback reads before it lets the
// netpoller wait: RawConn.Read forgets earlier readiness when it starts, so
// a wait that did not read first could sleep on data that arrived just
// before it.
type sock struct {
	raw  syscall.RawConn
	ioFn func(uintptr) bool // s.io
	f    feeder             // see setFeed
	p    []byte             // where opRead reads
	// rerr is what the last opRead or opFeed read got (nil: n bytes).
	rerr error
	n    int
	// buf is a pooled buffer: what waitReadable read and readNonBlocking
	// has not handed out yet (pendOff to pendEnd), or feed's while it
	// reads. pendErrno / pendEOF are what waitReadable got instead of data.
	buf              *[]byte
	pendOff, pendEnd int32
	pendErrno        int32
	op               uint8
	pendEOF          bool
	// short: the last read got less than it asked for, so the socket was
	// empty then; the next non-blocking read reports errWouldBlock without
	// a system call (the wait that follows reads first).
	short bool
	// stopped: the feeder stopped the last feed.
	stopped bool
}

// Operations of sock.io.
const (
	opRead = iota
	opWait
	opFeed
)

// feeder takes what sock.feed reads.
type feeder interface {
	// feedData gets each chunk read; an error stops the feed.
	feedData(p []byte) error
	// feedEmpty runs when the socket has nothing more: wait true lets the
	// feed wait for more, false (or an error) stops it.
	feedEmpty() (wait bool, err error)
}

// newSock returns nil when c is not a socket (then the splice loops use
// plain blocking reads).
func newSock(c any) *sock {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	s := &sock{raw: raw}
	s.ioFn = s.io
	return s
}

func (s *sock) io(fd uintptr) bool {
	switch s.op {
	case opRead:
		return s.read(fd)
	case opWait:
		return s.wait(fd)
	}
	return s.feedRead(fd)
}

// readFD is read(2) on fd, retried when a signal interrupts it.
func readFD(fd uintptr, p []byte) (int, error) {
	for {
		n, errno := syscall.Read(int(fd), p)
		if errno != syscall.EINTR {
			return n, errno
		}
	}
}

func (s *sock) read(fd uintptr) bool {
	n, errno := readFD(fd, s.p)
	s.n, s.rerr = readResult(n, errno, len(s.p))
	s.short = s.rerr == nil && s.n > 0 && s.n < len(s.p)
	return true
}

// readResult turns a read's outcome into what a net.Conn's Read returns.
func readResult(n int, errno error, want int) (int, error) {
	switch {
	case errno == syscall.EAGAIN: //nolint:errorlint // a bare Errno from syscall.Read; errors.Is costs on the hot path
		return 0, errWouldBlock
	case errno != nil:
		return 0, os.NewSyscallError("read", errno)
	case n == 0 && want > 0:
		return 0, io.EOF
	}
	return n, nil
}

// readNonBlocking reads what the socket has buffered (first what
// waitReadable read), returning errWouldBlock when that is nothing.
func (s *sock) readNonBlocking(p []byte) (int, error) {
	if s.buf != nil {
		n := copy(p, (*s.buf)[s.pendOff:s.pendEnd])
		s.pendOff += int32(n) //nolint:gosec // at most bufSize
		if s.pendOff == s.pendEnd {
			putBuf(s.buf)
			s.buf = nil
		}
		return n, nil
	}
	if s.pendErrno != 0 || s.pendEOF {
		err := readResultErr(syscall.Errno(s.pendErrno))
		s.pendErrno, s.pendEOF = 0, false
		return 0, err
	}
	if s.short {
		s.short = false
		return 0, errWouldBlock
	}
	s.p, s.op = p, opRead
	err := s.raw.Read(s.ioFn)
	s.p = nil
	if err != nil {
		return 0, err
	}
	n, err := s.n, s.rerr
	s.rerr = nil
	return n, err
}

// readResultErr is readResult's error for a failed read (errno) or the end
// of the stream (0).
func readResultErr(errno syscall.Errno) error {
	if errno == 0 {
		return io.EOF
	}
	_, err := readResult(0, errno, 1)
	return err
}

// wait reads, into a pooled buffer taken only for the read, and asks the
// netpoller to wait while that finds nothing.
func (s *sock) wait(fd uintptr) bool {
	b := getBuf()
	n, err := readFD(fd, *b)
	switch {
	case err == syscall.EAGAIN: //nolint:errorlint // a bare Errno from syscall.Read; errors.Is costs on the hot path
		putBuf(b)
		return false
	case err != nil:
		putBuf(b)
		s.pendErrno = int32(err.(syscall.Errno)) //nolint:errorlint,forcetypeassert,gosec // syscall.Read's errors are small Errnos
		return true
	case n == 0:
		putBuf(b)
		s.pendEOF = true
		return true
	}
	s.buf, s.pendOff, s.pendEnd = b, 0, int32(n) //nolint:gosec // at most bufSize
	s.short = n < len(*b)
	return true
}

// pendingResult says whether waitReadable got something readNonBlocking
// has not returned yet.
func (s *sock) pendingResult() bool { return s.buf != nil || s.pendErrno != 0 || s.pendEOF }

// waitReadable blocks until the socket has data (which the next
// readNonBlocking returns) or an error, or its read deadline passes,
// without holding a buffer meanwhile. Call it after readNonBlocking
// returned errWouldBlock.
func (s *sock) waitReadable() error {
	if s.pendingResult() {
		return nil
	}
	s.op = opWait
	return s.raw.Read(s.ioFn)
}

// setFeed prepares feed: f gets what it reads.
func (s *sock) setFeed(f feeder) { s.f = f }

// feed reads the socket and hands what it reads to the feeder, in one
// RawConn.Read that also waits for more, until the feeder stops it
// (byFeeder, with the feeder's error if any), the read fails (the error,
// io.EOF at the end) or the read deadline passes. A read shorter than the
// buffer goes straight to waiting: readiness that arrives after it is kept
// for the wait, so no second read is needed to see that the socket is
// empty. The buffer is held only while reading. A sock is either fed or
// read with readNonBlocking and waitReadable: feed fails while a wait's
// result is pending.
func (s *sock) feed() (byFeeder bool, err error) {
	if s.pendingResult() {
		return false, errFeedPending
	}
	s.op, s.stopped = opFeed, false
	err = s.raw.Read(s.ioFn)
	if s.buf != nil {
		putBuf(s.buf)
		s.buf = nil
	}
	byFeeder = s.stopped
	if err == nil {
		err = s.rerr
	}
	s.rerr = nil
	return byFeeder, err
}

// errFeedPending: feed was called with a wait's result not read yet.
var errFeedPending = errors.New("sock: feed while a wait's result is pending")

func (s *sock) feedRead(fd uintptr) bool {
	for {
		if s.buf == nil {
			s.buf = getBuf()
		}
		b := *s.buf
		n, errno := readFD(fd, b)
		if errno != syscall.EAGAIN { //nolint:errorlint // a bare Errno from syscall.Read; errors.Is costs on the hot path
			if n, s.rerr = readResult(n, errno, len(b)); s.rerr != nil {
				return true
			}
			if s.rerr = s.f.feedData(b[:n]); s.rerr != nil {
				s.stopped = true
				return true
			}
			if n == len(b) {
				continue // there may be more
			}
		}
		putBuf(s.buf)
		s.buf = nil
		wait, err := s.f.feedEmpty()
		if !wait || err != nil {
			s.stopped, s.rerr = true, err
			return true
		}
		return false
	}
}
