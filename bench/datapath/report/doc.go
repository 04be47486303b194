// Command report renders the "Data path" section of BENCHMARKS.md from one
// run of bench/datapath/run.sh (bench/results/<time>/), and collects the
// machine facts for that run.
//
//	report -machine -proxy-bin bin/wss-operator > machine.json
//	report -results bench/results/<time> -out BENCHMARKS.md
//
// Each figure is the median over the run's repetitions. The section sits
// between two HTML comment markers and is replaced in place, so the rest of
// BENCHMARKS.md (the control-plane section) is left alone; a missing file
// is created with both sections' headings.
package main
