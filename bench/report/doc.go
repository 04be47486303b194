// Command report writes BENCHMARKS.md's two generated parts from the raw
// results in bench/results/, so regenerating the report needs no re-run:
//
//	go run ./bench/report                 # or: make bench-report
//	go run ./bench/report -run bench/results/<time> -out /tmp/B.md
//	report -machine -proxy-bin bin/wss-operator > machine.json
//
// The "Data path" part comes from the newest data-path run directory
// (bench/results/<UTC time>/, written by bench/datapath/run.sh), the
// "Control plane" part from bench/results/controlplane.json (written by
// bench/controlplane); both are read as bench/internal/benchresult
// defines them. Go computes the figures, the verdicts against the issue's
// targets and the table cells; the prose around them is in
// templates/*.md.tmpl. Each figure is the median over the run's
// repetitions. A fan-out run whose count of delivered pushes exceeds what
// the backend can have sent is marked invalid, with the reason, and no
// verdict is drawn from its figure. A remark added to a run by hand
// (<UTC time>/notes.json: figure name → text) is printed under that
// figure's heading.
//
// Each part sits between two HTML comment markers under its heading and
// is replaced in place, so the rest of BENCHMARKS.md (the hand-written
// e2e section) is left alone; a part without results is left as it is,
// and a missing file is created.
//
// With -machine it prints the machine's facts for a data-path run instead
// (run.sh calls it at the start of a run).
package main
