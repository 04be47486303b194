//go:build linux

package proxy

import (
	"os"
	"sync"
	"syscall"
	"time"
)

// poller parks idle splice directions in an epoll set of the proxy's own,
// so that an idle WebSocket costs no goroutine and no goroutine stack: a
// direction whose source has nothing to read arms a one-shot, level-
// triggered registration for its socket and returns; the poller's single
// goroutine starts it again when the socket becomes readable. Sockets stay
// registered with Go's own netpoller too (edge-triggered, a different epoll
// set); the two do not interfere. Every epoll_ctl runs inside
// RawConn.Control, which keeps the descriptor from being closed (and its
// number reused) meanwhile; closing a socket drops its registration.
type poller struct {
	epfd   int
	mu     sync.Mutex
	next   uint64
	wakers map[uint64]func()
}

var (
	pollerOnce sync.Once
	thePoller  *poller
)

// getPoller returns the process-wide poller, nil when epoll is unavailable.
func getPoller() *poller {
	pollerOnce.Do(func() {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		// The epoll descriptor is itself waited for by Go's netpoller (an
		// epoll set is readable when it has events), so the poller
		// goroutine sleeps like any network goroutine instead of in a
		// blocking system call, and the pumps it starts run promptly.
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(fd)
			return
		}
		f := os.NewFile(uintptr(fd), "wss-proxy-epoll")
		raw, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return
		}
		thePoller = &poller{epfd: fd, wakers: map[uint64]func(){}}
		go thePoller.loop(f, raw)
	})
	return thePoller
}

func (pl *poller) loop(f *os.File, raw syscall.RawConn) {
	defer f.Close() // never reached: the poller lives as long as the process
	events := make([]syscall.EpollEvent, 256)
	var n int
	poll := func(fd uintptr) bool {
		var err error
		n, err = syscall.EpollWait(int(fd), events, 0)
		if err != nil || n <= 0 {
			n = 0
			return false // nothing yet: let the netpoller wait
		}
		return true
	}
	var wake []func()
	for {
		if err := raw.Read(poll); err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		wake = wake[:0]
		pl.mu.Lock()
		for _, ev := range events[:n] {
			if w := pl.wakers[eventID(&ev)]; w != nil {
				wake = append(wake, w)
			}
		}
		pl.mu.Unlock()
		for _, w := range wake {
			w()
		}
	}
}

func eventID(ev *syscall.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// parking is one socket's registration.
type parking struct {
	pl     *poller
	raw    syscall.RawConn
	id     uint64
	added  bool
	op     int
	ev     syscall.EpollEvent
	ctlErr error
	ctlFn  func(uintptr)
}

// register prepares parking for the socket behind raw; wake runs (on the
// poller's goroutine, so it must not block) when an armed socket is readable.
func (pl *poller) register(raw syscall.RawConn, wake func()) *parking {
	pl.mu.Lock()
	pl.next++
	id := pl.next
	pl.wakers[id] = wake
	pl.mu.Unlock()
	pk := &parking{pl: pl, raw: raw, id: id}
	pk.ev.Fd, pk.ev.Pad = int32(uint32(id)), int32(uint32(id>>32))
	pk.ctlFn = pk.ctl
	return pk
}

func (pk *parking) ctl(fd uintptr) {
	pk.ctlErr = syscall.EpollCtl(pk.pl.epfd, pk.op, int(fd), &pk.ev)
}

// arm asks for one wake-up once the socket is readable (right away if it is
// already: level-triggered).
func (pk *parking) arm() error {
	pk.op = syscall.EPOLL_CTL_MOD
	if !pk.added {
		pk.op = syscall.EPOLL_CTL_ADD
	}
	pk.ev.Events = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT
	if err := pk.raw.Control(pk.ctlFn); err != nil {
		return err
	}
	if pk.ctlErr != nil {
		return os.NewSyscallError("epoll_ctl", pk.ctlErr)
	}
	pk.added = true
	return nil
}

// release forgets the registration. When the socket is closed already the
// kernel has dropped it and Control fails, which is fine.
func (pk *parking) release() {
	if pk.added {
		pk.op = syscall.EPOLL_CTL_DEL
		_ = pk.raw.Control(pk.ctlFn)
	}
	pk.pl.mu.Lock()
	delete(pk.pl.wakers, pk.id)
	pk.pl.mu.Unlock()
}
