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
type sock struct {
	raw    syscall.RawConn
	p      []byte
	n      int
	errno  error
	waited bool
	readFn func(uintptr) bool
	waitFn func(uintptr) bool
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
	return s
}

func (s *sock) read(fd uintptr) bool {
	for {
		s.n, s.errno = syscall.Read(int(fd), s.p)
		if s.errno != syscall.EINTR { //nolint:errorlint // a bare Errno from syscall.Read; errors.Is costs on the hot path
			return true
		}
	}
}

// readNonBlocking reads what the socket has buffered, returning
// errWouldBlock when that is nothing.
func (s *sock) readNonBlocking(p []byte) (int, error) {
	s.p = p
	err := s.raw.Read(s.readFn)
	s.p = nil
	switch {
	case err != nil:
		return 0, err
	case s.errno == syscall.EAGAIN: //nolint:errorlint // a bare Errno from syscall.Read; errors.Is costs on the hot path
		return 0, errWouldBlock
	case s.errno != nil:
		return 0, os.NewSyscallError("read", s.errno)
	case s.n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return s.n, nil
}

// wait is called first to decide whether to wait (yes: the caller just saw
// EAGAIN) and again after the netpoller reported readability (stop).
func (s *sock) wait(uintptr) bool {
	if s.waited {
		return true
	}
	s.waited = true
	return false
}

// waitReadable blocks until the socket is readable (or its read deadline
// passes) without holding a buffer. Call it right after readNonBlocking
// returned errWouldBlock. A spurious wake-up only costs another
// readNonBlocking.
func (s *sock) waitReadable() error {
	s.waited = false
	return s.raw.Read(s.waitFn)
}
