// Package controllers holds the WSSEndpoint reconciler: certificate →
// checked Secret → Service → injected sidecar → live probe → status, in the
// shape of ../shared/style.md (ordered steps over a scope, pure status
// setters, server-side apply under one field manager).
package controllers
