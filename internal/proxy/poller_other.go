//go:build !linux

package proxy

import "syscall"

// Without epoll there is no parking: each splice direction keeps a
// goroutine (but no buffer) while it waits.
type poller struct{}

type parking struct{}

func getPoller() *poller { return nil }

func (*poller) register(*parking, *pump) {}

func (*parking) registered() bool { return false }

func (*parking) arm(syscall.RawConn) error { return nil }

func (*parking) release(syscall.RawConn) {}
