#!/usr/bin/env bash
# Time `moat node` on a live control-plane node: the hardened kube-apiserver,
# kube-controller-manager and etcd of test/kube (BenchmarkMoatNode in
# test/kube/e2e/node_bench_test.go), R runs after one warm-up, and print the median
# wall time against the issue's target.
#
#   bash bench/node.sh                 # 5 runs, target 0.5 s
#   R=9 TARGET=0.3 bash bench/node.sh
#
# Needs root (the test gives files to root and the etcd user, and reads /proc) and
# the Kubernetes binaries (`make e2e-deps`). Exits 1 when the median is over TARGET.
set -euo pipefail

R=${R:-5}               # measured runs
TARGET=${TARGET:-0.5}   # seconds

cd "$(dirname "$0")/../test/kube"
echo "# $(uname -sm), $(nproc 2>/dev/null || echo '?') CPUs, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')" >&2
echo "# starting the control plane and running moat node $R times" >&2
out=$(MOAT_E2E=1 go test ./e2e -run '^$' -bench '^BenchmarkMoatNode$' -benchtime "${R}x" -count 1 2>&1) || {
	echo "$out" >&2
	exit 1
}
grep -E '^BenchmarkMoatNode|wall times' <<<"$out"
median=$(sed -n 's/.*[[:space:]]\([0-9.]*\) median-wall-s.*/\1/p' <<<"$out")
if [[ -z $median ]]; then
	echo "bench/node.sh: no median in the benchmark's output:" >&2
	echo "$out" >&2
	exit 1
fi
printf 'moat node median wall time: %.3f s over %d runs (target <= %s s)\n' "$median" "$R" "$TARGET"
awk -v m="$median" -v t="$TARGET" 'BEGIN { exit !(m <= t) }' || {
	echo "bench/node.sh: over the target" >&2
	exit 1
}
