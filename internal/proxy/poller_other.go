//go:build !linux

package proxy

import "syscall"

// Without epoll there is no parking: each splice direction keeps a
// goroutine (but no buffer) while it waits.
type poller struct{}

type parking struct{}

func getPoller() *poller { return nil }

func (*poller) register(syscall.RawConn, func()) *parking { return nil }

func (*parking) arm() error { return nil }

func (*parking) release() {}
