// Package inspectcmd is `wss-operator inspect`: offline diagnosis of
// certificate, key and CA PEM files with internal/certcheck, printed as text
// (a verdict line, the leaf's facts, each finding with its fix) or JSON, with
// exit status 0 (no error finding), 1 (an error finding) or 2 (usage error).
package inspectcmd
