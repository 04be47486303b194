#!/usr/bin/env bash
# hack/fuzz.sh [FUZZTIME]: run every fuzz target of the module for FUZZTIME
# (default 10s) each, seeded from its testdata/; on a failure print the
# run's output and exit 1.
#
# One failure is Go's, not ours: with a duration -fuzztime, Go 1.26's fuzz
# coordinator can report "context deadline exceeded" at the end of the time
# while a worker is still busy (go.dev/issue/75804, fixed in Go 1.27). That
# failure names no input, writes none and prints nothing else; such a
# target runs once more, and only a second failure of any kind fails.
set -euo pipefail
GO=${GO:-go}
fuzztime=${1:-10s}

# deadline_race LOG: the run's only failure is the coordinator's deadline.
deadline_race() {
	grep -q '^    context deadline exceeded$' "$1" &&
		! grep -qE 'Failing input written|panic:|\.go:[0-9]+:' "$1"
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for pkg in $("$GO" list ./...); do
	dir=$("$GO" list -f '{{.Dir}}' "$pkg")
	grep -qs '^func Fuzz' "$dir"/*_test.go || continue
	for target in $("$GO" test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
		echo "fuzz: $pkg $target ($fuzztime)"
		for attempt in 1 2; do
			if "$GO" test "$pkg" -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" >"$log" 2>&1; then
				break
			fi
			if [[ $attempt == 1 ]] && deadline_race "$log"; then
				echo "fuzz: $target: \"context deadline exceeded\" at the end of -fuzztime and no failing input (go.dev/issue/75804): running it once more"
				continue
			fi
			grep -v '^fuzz: elapsed' "$log" | tail -40
			exit 1
		done
	done
done
