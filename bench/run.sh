#!/usr/bin/env bash
# Benchmark moat scan on a synthetic cluster; see bench/README.md.
#
#   bash bench/run.sh                          # 10000 objects, 5 runs
#   N=50000 R=3 bash bench/run.sh
#   PEER=$(command -v kube-linter) bash bench/run.sh
#   PEER=/usr/local/bin/kubescape PEER_ARGS="scan FILE" bash bench/run.sh
#   PROFILE=1 bash bench/run.sh                # also write bench/out/cpu.prof
#   MIX=dense FORMATS=all bash bench/run.sh    # the finding-dense mix, every output format
#   MIX=dense N=100000 R=3 FLOOR=1 bash bench/run.sh  # with the decode floor and Moat's multiple of it
set -euo pipefail

N=${N:-10000}             # objects in the synthetic cluster
R=${R:-5}                 # measured runs of each command
SEED=${SEED:-1}           # generator seed
MIX=${MIX:-cluster}       # cluster (a multi-team cluster) or dense (unhardened, ~8 findings an object)
FORMATS=${FORMATS:-table} # output formats to time, or all
FLOOR=${FLOOR:-}          # when set, also time bench/floor: reading and decoding the file, nothing else
WARMUP=${WARMUP:-1}       # unmeasured runs first, to warm the page cache
MOAT_ARGS=${MOAT_ARGS:-"scan FILE -o FORMAT"}
[[ $FORMATS == all ]] && FORMATS="table json sarif junit policyreport"
PEER=${PEER:-}            # another linter to compare with, e.g. /usr/local/bin/kube-linter
PEER_ARGS=${PEER_ARGS:-"lint FILE"}
PROFILE=${PROFILE:-}

cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"

# build NAME PACKAGE: the binary written with write(2), as a download or an install
# writes it. The Go linker writes its output through mmap, and on this kernel (ext4
# with large folios) that file's page cache maps into every process that runs it in
# 2 MiB pieces: the same moat measured 38 MiB more peak RSS run from the linker's
# file than from a copy (112 vs 74 MiB for a one-object scan).
build() {
	go build -o "$OUT/$1.tmp" "$2"
	cat "$OUT/$1.tmp" >"$OUT/$1.new" && rm "$OUT/$1.tmp"
	chmod +x "$OUT/$1.new" && mv "$OUT/$1.new" "$OUT/$1"
}
echo "# building moat, the generator and the meter" >&2
build moat ./cmd/moat
build gen ./bench/gen
build measure ./bench/measure
[[ -n $FLOOR ]] && build floor ./bench/floor

FILE=$OUT/$MIX-n$N-seed$SEED.yaml
if [[ ! -s $FILE ]]; then
	echo "# generating $N objects (mix $MIX, seed $SEED) into $FILE" >&2
	"$OUT/gen" -mix "$MIX" -n "$N" -seed "$SEED" >"$FILE"
fi

# args TEMPLATE [FORMAT]: the words of TEMPLATE with FILE replaced by the cluster file
# and FORMAT by the output format.
args() {
	local w out=()
	for w in $1; do
		w=${w//FILE/$FILE}
		out+=("${w//FORMAT/${2:-table}}")
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

echo "# $(uname -sm), $(nproc 2>/dev/null || echo '?') CPUs, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "# file: $FILE ($(du -h "$FILE" | cut -f1), $N objects, mix $MIX), $R runs after $WARMUP warm-up"
declare -A medians
rows=()
if [[ -n $FLOOR ]]; then
	measure floor "$OUT/floor" "$FILE"
	medians[floor]=$median
	rows+=(floor)
fi
for format in $FORMATS; do
	mapfile -t moat_args < <(args "$MOAT_ARGS" "$format")
	measure "moat-$format" "$OUT/moat" "${moat_args[@]}"
	medians[moat-$format]=$median
	rows+=("moat-$format")
done
first_moat=moat-${FORMATS%% *}

if [[ -n $PEER ]]; then
	mapfile -t peer_args < <(args "$PEER_ARGS")
	peer_label=$(basename "$PEER")
	measure "$peer_label" "$PEER" "${peer_args[@]}"
	medians[$peer_label]=$median
	rows+=("$peer_label")
fi

echo
printf '%-20s %10s %10s %12s\n' "" "wall s" "cpu s" "peak RSS MiB"
for row in "${rows[@]}"; do
	m=${medians[$row]}
	printf '%-20s %10s %10s %12s\n' "$row" "$(field wall_s "$m")" "$(field cpu_s "$m")" "$(field maxrss_mib "$m")"
done
# ratio A B MEASURE: A's median over B's.
ratio() { awk -v a="$(field "$3" "${medians[$1]}")" -v b="$(field "$3" "${medians[$2]}")" 'BEGIN { if (b > 0) printf "%.3gx", a / b; else print "n/a" }'; }
if [[ -n $FLOOR ]]; then
	for format in $FORMATS; do
		printf '%-20s %10s %10s %12s\n' "moat-$format/floor" "$(ratio "moat-$format" floor wall_s)" "$(ratio "moat-$format" floor cpu_s)" "$(ratio "moat-$format" floor maxrss_mib)"
	done
fi
if [[ -n $PEER ]]; then
	printf '%-20s %10s %10s %12s\n' "$peer_label/$first_moat" "$(ratio "$peer_label" "$first_moat" wall_s)" "$(ratio "$peer_label" "$first_moat" cpu_s)" "$(ratio "$peer_label" "$first_moat" maxrss_mib)"
fi

if [[ -n $PROFILE ]]; then
	prof=$OUT/cpu.prof
	echo
	echo "# CPU profile of one scan: $prof"
	"$OUT/moat" scan --cpuprofile "$prof" "$FILE" >/dev/null || [[ $? -eq 1 ]]
	go tool pprof -top -nodecount=25 "$OUT/moat" "$prof" 2>/dev/null || true
	echo "# explore it: go tool pprof -http=:0 $OUT/moat $prof"
fi
