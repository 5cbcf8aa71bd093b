#!/usr/bin/env bash
# Compare moat binaries on one input, fairly on a noisy machine: one run of each binary
# in turn, ROUNDS times, then the median of each (bench/measure's wall, cpu and peak RSS).
#
#   bench/interleave.sh FILE /tmp/moat-before /tmp/moat-after [-- EXTRA ARGS]
#   ROUNDS=15 bench/interleave.sh /tmp/c10k.yaml /tmp/moat-a /tmp/moat-b -- -o json
set -euo pipefail
ROUNDS=${ROUNDS:-9}
file=$1
shift
bins=()
while [[ $# -gt 0 && $1 != -- ]]; do
	bins+=("$1")
	shift
done
[[ ${1:-} == -- ]] && shift
cd "$(dirname "$0")/.."
go build -o bench/out/measure ./bench/measure
log=$(mktemp)
for ((i = 0; i < ROUNDS; i++)); do
	for b in "${bins[@]}"; do
		bench/out/measure -r 1 -warmup 0 -label "$b" -- "$b" scan "$file" "$@" 2>&1 | grep '^run ' >>"$log"
	done
done
echo "# $ROUNDS rounds, load average before the last: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
# median FIELD BINARY: the median of FIELD over the binary's runs.
median() {
	grep " label=$2 " "$log" | sed -n "s/.* $1=\([^ ]*\).*/\1/p" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for b in "${bins[@]}"; do
	printf '%-28s wall %s s  cpu %s s  peak RSS %s MiB  (median of %d)\n' "$b" "$(median wall_s "$b")" "$(median cpu_s "$b")" "$(median maxrss_mib "$b")" "$ROUNDS"
done
rm -f "$log"
