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

// slot is one registration: pu is the pump a wake-up kicks (nil while the
// slot is free: a pointer, not a func value, which would be one more
// allocation per registration); gen counts the slot's owners; next links
// free slots.
type slot struct {
	pu   *pump
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
	var wake []*pump
	for {
		if err := raw.Read(poll); err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		wake = wake[:0]
		pl.mu.Lock()
		for _, ev := range events[:n] {
			if i := uint32(ev.Fd); int(i) < len(pl.slots) && pl.slots[i].gen == uint32(ev.Pad) && pl.slots[i].pu != nil {
				wake = append(wake, pl.slots[i].pu)
			}
		}
		pl.mu.Unlock()
		for _, pu := range wake {
			pu.kick()
		}
	}
}

// parking is one socket's registration, kept in its pump (not a pointer:
// 12 bytes, one per splice direction of every WebSocket): the epoll event
// it hands the kernel carries its slot (Fd: the index, Pad: the
// generation). The socket is passed to arm and release; the callback
// RawConn.Control needs comes from a pool, not from the registration.
type parking struct {
	slot, gen uint32
	// on: register ran. It is set before the pump starts and never
	// changes (the other pump reads it), also not on release.
	on    bool
	added bool // the socket is in the epoll set
}

// registered says whether pk waits through the poller (else its pump waits
// in a goroutine).
func (pk *parking) registered() bool { return pk.on }

// register prepares pk; pu is kicked (on the poller's goroutine) when an
// armed socket is readable.
func (pl *poller) register(pk *parking, pu *pump) {
	pl.mu.Lock()
	i := pl.freeSlot
	if i == noSlot {
		i = uint32(len(pl.slots)) //nolint:gosec // fewer slots than descriptors
		pl.slots = append(pl.slots, slot{})
	} else {
		pl.freeSlot = pl.slots[i].next
	}
	sl := &pl.slots[i]
	sl.gen++
	sl.pu, sl.next = pu, noSlot
	gen := sl.gen
	pl.mu.Unlock()
	*pk = parking{slot: i, gen: gen, on: true}
}

// epollCtl is one epoll_ctl call run inside RawConn.Control, with the
// callback Control needs made once per pooled value.
type epollCtl struct {
	op  int
	ev  syscall.EpollEvent
	err error
	fn  func(uintptr) // c.ctl
}

var ctlPool = sync.Pool{New: func() any {
	c := &epollCtl{}
	c.fn = c.ctl
	return c
}}

func (c *epollCtl) ctl(fd uintptr) {
	if err := syscall.EpollCtl(thePoller.epfd, c.op, int(fd), &c.ev); err != nil {
		c.err = os.NewSyscallError("epoll_ctl", err)
	}
}

// control runs epoll_ctl op for pk's socket; events are for ADD and MOD.
func (pk *parking) control(raw syscall.RawConn, op int, events uint32) error {
	c := ctlPool.Get().(*epollCtl) //nolint:forcetypeassert // the pool holds nothing else
	c.op, c.err = op, nil
	c.ev = syscall.EpollEvent{Events: events, Fd: int32(pk.slot), Pad: int32(pk.gen)} //nolint:gosec // index and generation as the kernel keeps them
	err := raw.Control(c.fn)
	if err == nil {
		err = c.err
	}
	c.err = nil
	ctlPool.Put(c)
	return err
}

// arm asks for one wake-up once the socket behind raw is readable (right
// away if it is already: level-triggered).
func (pk *parking) arm(raw syscall.RawConn) error {
	op := syscall.EPOLL_CTL_MOD
	if !pk.added {
		op = syscall.EPOLL_CTL_ADD
	}
	if err := pk.control(raw, op, syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLONESHOT); err != nil {
		return err
	}
	pk.added = true
	return nil
}

// release forgets the registration and frees its slot (once: a second
// release finds the slot's generation moved on or the slot free). When the
// socket is closed already the kernel has dropped it and Control fails,
// which is fine.
func (pk *parking) release(raw syscall.RawConn) {
	if !pk.on {
		return
	}
	if pk.added {
		_ = pk.control(raw, syscall.EPOLL_CTL_DEL, 0)
		pk.added = false
	}
	pl := thePoller
	pl.mu.Lock()
	if sl := &pl.slots[pk.slot]; sl.gen == pk.gen && sl.pu != nil {
		sl.pu, sl.next = nil, pl.freeSlot
		pl.freeSlot = pk.slot
	}
	pl.mu.Unlock()
}
