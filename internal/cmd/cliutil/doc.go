// Package cliutil is the plumbing the subcommands share: the exit codes, a
// flag set that returns errors instead of printing them, --help and usage
// errors worded alike (all four subcommands), failures printed as
// "wss-operator NAME: error" (manager and proxy), text or indented JSON
// output, and reading a file named by a flag with errors that name both
// (probe and inspect).
package cliutil
