// Package benchresult is the raw data of the benchmarks, as the programs
// that measure write it into bench/results/ and bench/report reads it back:
//
//	bench/results/<UTC time>/           one data-path run (bench/datapath/run.sh)
//	  params.json                       Params: the run's knobs (written by run.sh)
//	  machine.json                      Machine (report -machine)
//	  limits/handshakecost.<rep>.json   HandshakeCost (bench/datapath/handshakecost), one per repetition
//	                                    (runs before that: handshakecost.json)
//	  runs/<figure>/<target>.<rep>.json Run (bench/datapath/loadgen)
//	bench/results/controlplane.json     ControlPlane (bench/controlplane)
//	bench/results/realclients.json      RealClients (bench/realclients)
//
// One definition serves the writer and the reader, so a field cannot mean
// one thing to the benchmark and another to the report.
package benchresult
