// Package procstat reads what the benchmarks measure about processes and
// CPUs from Linux's /proc: a process's CPU time, command and parent
// (/proc/PID/stat), its memory (/proc/PID/status), its descendants, and
// how busy each CPU and the whole machine were (/proc/stat). Both the
// data-path load generator and the control-plane benchmark use it.
package procstat
