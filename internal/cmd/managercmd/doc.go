// Package managercmd is `wss-operator manager`, the default subcommand: its
// flags (--probe-connect-to among them, connectto.go), validated and mapped
// onto controllers.NewManager and controllers.Setup, which build the
// controller manager that reconciles WSSEndpoints.
package managercmd
