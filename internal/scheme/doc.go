// Package scheme builds the runtime.Scheme every client of this project uses:
// Kubernetes' built-in types, the WSSEndpoint API and cert-manager's API.
package scheme
