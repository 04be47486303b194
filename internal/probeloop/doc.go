// Package probeloop is the controller manager's runnable that keeps probing
// every enabled WSSEndpoint on its jittered interval with internal/probe:
// once through the Service name and, with perPod, once per ready pod. It
// never writes to the API server: each finished round is stored and
// announced on a channel that the reconciler watches (a channel source), so
// only the reconciler writes status.
package probeloop
