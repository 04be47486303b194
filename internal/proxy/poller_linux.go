//go:build linux

package proxy

import (
	"errors"
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
//
// A registration is a slot in a slab, not a map entry: the epoll data of
// its socket carries the slot's index and generation, so a wake-up finds
// its pump without hashing, and the slab costs 16 bytes per registration
// (a freed slot is reused; the generation tells a stale event of the
// slot's previous owner from one of its own).
type poller struct {
	epfd     int
	mu       sync.Mutex
	slots    []slot
	freeSlot uint32 // head of the free slots, through slot.next; noSlot: none
}

// slot is one registration: wake starts its pump (nil while the slot is
// free); gen counts the slot's owners; next links free slots.
type slot struct {
	wake func()
	gen  uint32
	next uint32
}

const noSlot = ^uint32(0)

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
		thePoller = &poller{epfd: fd, freeSlot: noSlot}
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
			if i := uint32(ev.Fd); int(i) < len(pl.slots) && pl.slots[i].gen == uint32(ev.Pad) && pl.slots[i].wake != nil {
				wake = append(wake, pl.slots[i].wake)
			}
		}
		pl.mu.Unlock()
		for _, w := range wake {
			w()
		}
	}
}

// parking is one socket's registration. It is small (48 bytes, one per
// splice direction of every WebSocket): the epoll event it hands the
// kernel holds its slot (Fd: the index, Pad: the generation).
type parking struct {
	raw    syscall.RawConn
	ctlFn  func(uintptr) // pk.ctl, allocated once rather than per arm
	ev     syscall.EpollEvent
	added  bool
	op     int8
	ctlErr syscall.Errno
}

// register prepares parking for the socket behind raw; wake runs (on the
// poller's goroutine, so it must not block) when an armed socket is readable.
func (pl *poller) register(raw syscall.RawConn, wake func()) *parking {
	pl.mu.Lock()
	i := pl.freeSlot
	if i == noSlot {
		i = uint32(len(pl.slots))
		pl.slots = append(pl.slots, slot{})
	} else {
		pl.freeSlot = pl.slots[i].next
	}
	sl := &pl.slots[i]
	sl.gen++
	sl.wake, sl.next = wake, noSlot
	gen := sl.gen
	pl.mu.Unlock()
	pk := &parking{raw: raw}
	pk.ev.Fd, pk.ev.Pad = int32(i), int32(gen)
	pk.ctlFn = pk.ctl
	return pk
}

func (pk *parking) ctl(fd uintptr) {
	pk.ctlErr = 0
	if err := syscall.EpollCtl(thePoller.epfd, int(pk.op), int(fd), &pk.ev); err != nil {
		pk.ctlErr = syscall.EINVAL // EpollCtl's errors are Errnos; this is never kept
		var errno syscall.Errno
		if errors.As(err, &errno) {
			pk.ctlErr = errno
		}
	}
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
	if pk.ctlErr != 0 {
		return os.NewSyscallError("epoll_ctl", pk.ctlErr)
	}
	pk.added = true
	return nil
}

// release forgets the registration and frees its slot (once: a second
// release finds the slot's generation moved on or the slot free). When the
// socket is closed already the kernel has dropped it and Control fails,
// which is fine.
func (pk *parking) release() {
	if pk.added {
		pk.op = syscall.EPOLL_CTL_DEL
		_ = pk.raw.Control(pk.ctlFn)
		pk.added = false
	}
	pl := thePoller
	i := uint32(pk.ev.Fd)
	pl.mu.Lock()
	if sl := &pl.slots[i]; sl.gen == uint32(pk.ev.Pad) && sl.wake != nil {
		sl.wake, sl.next = nil, pl.freeSlot
		pl.freeSlot = i
	}
	pl.mu.Unlock()
}
