// Package controllers holds the WSSEndpoint reconciler: certificate →
// checked Secret → Service → injected sidecar → live probe → status: ordered
// steps over a scope that record facts (wssendpoint_facts.go), each ending in
// one outcome (outcome.go), pure status setters (wssendpoint_status.go), and
// server-side apply under one field manager per endpoint. NewManager and
// Setup (manager.go, setup.go) build the controller manager for every
// program that runs it.
package controllers
