//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package proxy

// sock is not available here: the splice loops use blocking reads and hold
// a buffer while waiting.
type sock struct{}

func newSock(any) *sock { return nil }

func (*sock) readNonBlocking([]byte) (int, error) { return 0, errWouldBlock }

func (*sock) waitReadable() error { return nil }
