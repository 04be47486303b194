// Package probecmd is the `wss-operator probe URL` subcommand: it parses the
// flags of the design contract into probe.Options, runs one live probe of a
// wss:// or ws:// endpoint, prints the verdict as text (with the facts and,
// on failure, what to do) or JSON, and exits 0 healthy, 1 unhealthy, 2 on a
// usage error.
package probecmd
