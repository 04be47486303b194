// Package cliutil is the plumbing the diagnosis subcommands (`wss-operator
// probe` and `wss-operator inspect`) share: their exit codes, a flag set
// that returns errors instead of printing them, --help and usage errors
// worded alike, text or indented JSON output, and reading a file named by a
// flag with errors that name both.
package cliutil
