//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package proxy

import "syscall"

// sock is not available here: newSock always returns nil, so the splice
// loops use blocking reads and hold a buffer while waiting, and never call
// the methods below or use raw.
type sock struct{ raw syscall.RawConn }

// feeder takes what sock.feed reads (see sock_unix.go).
type feeder interface {
	feedData(p []byte) error
	feedEmpty() (wait bool, err error)
}

func newSock(any) *sock { return nil }

func (*sock) readNonBlocking([]byte) (int, error) { return 0, errWouldBlock }

func (*sock) waitReadable() error { return nil }

func (*sock) setFeed(feeder) {}

func (*sock) feed() (bool, error) { return false, errWouldBlock }
