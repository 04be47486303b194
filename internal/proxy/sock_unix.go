//go:build linux || darwin || freebsd || netbsd || openbsd

package proxy

import (
	"io"
	"os"
	"syscall"
)

// sock reads a socket without blocking and waits for it to become readable
// without a buffer. The callbacks syscall.RawConn needs are allocated once
// per socket, not per call.
//
// Every wait is one RawConn.Read whose callback reads before it lets the
// netpoller wait: RawConn.Read forgets earlier readiness when it starts, so
// a wait that did not read first could sleep on data that arrived just
// before it.
type sock struct {
	raw   syscall.RawConn
	p     []byte
	n     int
	errno error
	// short: the last read got less than it asked for, so the socket was
	// empty then; the next non-blocking read reports errWouldBlock without
	// a system call (the wait that follows reads first).
	short bool
	// pending holds what waitReadable read and readNonBlocking has not
	// handed out yet (pend), or the error it got (pendErr).
	pending *[]byte
	pend    []byte
	pendErr error
	readFn  func(uintptr) bool
	waitFn  func(uintptr) bool
	// feed: see setFeed.
	feedBuf   *[]byte
	feedData  func([]byte) bool
	feedEmpty func() bool
	feedErr   error
	feedFn    func(uintptr) bool
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
	s.readFn = s.read
	s.waitFn = s.wait
	s.feedFn = s.feedRead
	return s
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
	s.n, s.errno = readFD(fd, s.p)
	s.short = s.errno == nil && s.n > 0 && s.n < len(s.p)
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
	if s.pending != nil {
		n := copy(p, s.pend)
		s.pend = s.pend[n:]
		if len(s.pend) == 0 {
			putBuf(s.pending)
			s.pending, s.pend = nil, nil
		}
		return n, nil
	}
	if err := s.pendErr; err != nil {
		s.pendErr = nil
		return 0, err
	}
	if s.short {
		s.short = false
		return 0, errWouldBlock
	}
	s.p = p
	err := s.raw.Read(s.readFn)
	s.p = nil
	if err != nil {
		return 0, err
	}
	return readResult(s.n, s.errno, len(p))
}

// wait reads, into a pooled buffer taken only for the read, and asks the
// netpoller to wait while that finds nothing.
func (s *sock) wait(fd uintptr) bool {
	b := getBuf()
	n, errno := readFD(fd, *b)
	if errno == syscall.EAGAIN { //nolint:errorlint // a bare Errno from syscall.Read; errors.Is costs on the hot path
		putBuf(b)
		return false
	}
	n, err := readResult(n, errno, len(*b))
	if err != nil {
		putBuf(b)
		s.pendErr = err
		return true
	}
	s.pending, s.pend = b, (*b)[:n]
	s.short = n < len(*b)
	return true
}

// waitReadable blocks until the socket has data (which the next
// readNonBlocking returns) or an error, or its read deadline passes,
// without holding a buffer meanwhile. Call it after readNonBlocking
// returned errWouldBlock.
func (s *sock) waitReadable() error {
	if s.pending != nil || s.pendErr != nil {
		return nil
	}
	return s.raw.Read(s.waitFn)
}

// setFeed prepares feed: data gets each chunk read (false stops the feed),
// empty runs when the socket has nothing more (true: wait for it, false:
// stop the feed).
func (s *sock) setFeed(data func([]byte) bool, empty func() bool) {
	s.feedData, s.feedEmpty = data, empty
}

// feed reads the socket and hands what it reads to the data callback, in
// one RawConn.Read that also waits for more, until a callback stops it, the
// read fails (the error, io.EOF at the end) or the read deadline passes. A
// read shorter than the buffer goes straight to waiting: readiness that
// arrives after it is kept for the wait, so no second read is needed to
// see that the socket is empty. The buffer is held only while reading.
func (s *sock) feed() error {
	s.feedErr = nil
	err := s.raw.Read(s.feedFn)
	if s.feedBuf != nil {
		putBuf(s.feedBuf)
		s.feedBuf = nil
	}
	if err == nil {
		err = s.feedErr
	}
	return err
}

func (s *sock) feedRead(fd uintptr) bool {
	for {
		if s.feedBuf == nil {
			s.feedBuf = getBuf()
		}
		b := *s.feedBuf
		n, errno := readFD(fd, b)
		if errno != syscall.EAGAIN { //nolint:errorlint // a bare Errno from syscall.Read; errors.Is costs on the hot path
			if n, s.feedErr = readResult(n, errno, len(b)); s.feedErr != nil {
				return true
			}
			if !s.feedData(b[:n]) {
				return true
			}
			if n == len(b) {
				continue // there may be more
			}
		}
		putBuf(s.feedBuf)
		s.feedBuf = nil
		return !s.feedEmpty()
	}
}
