#!/usr/bin/env bash
# Benchmark moat scan on a synthetic cluster; see bench/README.md.
#
#   bash bench/run.sh                          # 10000 objects, 5 runs
#   N=50000 R=3 bash bench/run.sh
#   PEER=$(command -v kube-linter) bash bench/run.sh
#   PEER=/usr/local/bin/kubescape PEER_ARGS="scan FILE" bash bench/run.sh
#   PROFILE=1 bash bench/run.sh                # also write bench/out/cpu.prof
set -euo pipefail

N=${N:-10000}             # objects in the synthetic cluster
R=${R:-5}                 # measured runs of each command
SEED=${SEED:-1}           # generator seed
WARMUP=${WARMUP:-1}       # unmeasured runs first, to warm the page cache
MOAT_ARGS=${MOAT_ARGS:-"scan FILE"}
PEER=${PEER:-}            # another linter to compare with, e.g. /usr/local/bin/kube-linter
PEER_ARGS=${PEER_ARGS:-"lint FILE"}
PROFILE=${PROFILE:-}

cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"

echo "# building moat, the generator and the meter" >&2
go build -o "$OUT/moat" ./cmd/moat
go build -o "$OUT/gen" ./bench/gen
go build -o "$OUT/measure" ./bench/measure

FILE=$OUT/cluster-n$N-seed$SEED.yaml
echo "# generating $N objects (seed $SEED) into $FILE" >&2
"$OUT/gen" -n "$N" -seed "$SEED" >"$FILE"

# args TEMPLATE: the words of TEMPLATE with FILE replaced by the cluster file.
args() {
	local w out=()
	for w in $1; do
		out+=("${w//FILE/$FILE}")
	done
	printf '%s\n' "${out[@]}"
}

# field NAME LINE: the value of NAME=... in a measure "median" line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

measure() { # LABEL COMMAND...: print the runs, leave the median line in $median
	local label=$1
	shift
	local log
	log=$("$OUT/measure" -r "$R" -warmup "$WARMUP" -label "$label" -- "$@")
	echo "$log"
	median=$(grep '^median ' <<<"$log")
}

echo "# $(uname -sm), $(nproc 2>/dev/null || echo '?') CPUs, $(go version | cut -d' ' -f3)"
echo "# file: $FILE ($(du -h "$FILE" | cut -f1), $N objects), $R runs after $WARMUP warm-up"
mapfile -t moat_args < <(args "$MOAT_ARGS")
measure moat "$OUT/moat" "${moat_args[@]}"
moat_median=$median

if [[ -n $PEER ]]; then
	mapfile -t peer_args < <(args "$PEER_ARGS")
	peer_label=$(basename "$PEER")
	measure "$peer_label" "$PEER" "${peer_args[@]}"
	peer_median=$median
fi

echo
printf '%-16s %10s %10s %12s\n' "" "wall s" "cpu s" "peak RSS MiB"
printf '%-16s %10s %10s %12s\n' moat "$(field wall_s "$moat_median")" "$(field cpu_s "$moat_median")" "$(field maxrss_mib "$moat_median")"
if [[ -n $PEER ]]; then
	printf '%-16s %10s %10s %12s\n' "$peer_label" "$(field wall_s "$peer_median")" "$(field cpu_s "$peer_median")" "$(field maxrss_mib "$peer_median")"
	ratio() { awk -v p="$(field "$1" "$peer_median")" -v m="$(field "$1" "$moat_median")" 'BEGIN { if (m > 0) printf "%.3gx", p / m; else print "n/a" }'; }
	printf '%-16s %10s %10s %12s\n' "$peer_label/moat" "$(ratio wall_s)" "$(ratio cpu_s)" "$(ratio maxrss_mib)"
fi

if [[ -n $PROFILE ]]; then
	prof=$OUT/cpu.prof
	echo
	echo "# CPU profile of one scan: $prof"
	"$OUT/moat" scan --cpuprofile "$prof" "$FILE" >/dev/null || [[ $? -eq 1 ]]
	go tool pprof -top -nodecount=25 "$OUT/moat" "$prof" 2>/dev/null || true
	echo "# explore it: go tool pprof -http=:0 $OUT/moat $prof"
fi
