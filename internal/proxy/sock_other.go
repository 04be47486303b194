//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package proxy

// sock is not available here: newSock always returns nil, so the splice
// loops use blocking reads and hold a buffer while waiting, and never call
// the methods below.
type sock struct{}

func newSock(any) *sock { return nil }

func (*sock) readNonBlocking([]byte) (int, error) { return 0, errWouldBlock }

func (*sock) waitReadable() error { return nil }

func (*sock) setFeed(func([]byte) bool, func() bool) {}

func (*sock) feed() error { return errWouldBlock }
