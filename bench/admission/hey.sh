#!/usr/bin/env bash
# Load-test `moat serve admission` with hey (an external HTTP load generator) and print
# p50, p99 and errors per run; with RATES, find the highest rate whose p99 stays within
# P99_MAX_MS. Run from the repository root:
#
#   bench/admission/hey.sh                                  # 1,000 req/s, 20 connections, 20 s, 3 runs
#   RATES="500 1000 2000 3000 4000" bench/admission/hey.sh  # sweep: highest rate with p99 <= 10 ms (runs every rate)
#   MOAT=/tmp/moat-old bench/admission/hey.sh               # an already built binary
#   GOGC=100 bench/admission/hey.sh                         # the webhook's environment passes on
#   PPROF=127.0.0.1:6060 bench/admission/hey.sh             # profile each rate's first run (see below)
#   SPREAD=1 bench/admission/hey.sh                         # arrivals spread evenly, not in bursts (see below)
#   NULL=1 bench/admission/hey.sh                           # the floor: a server that only answers (see below)
#
# Settings (environment): RATE (requests/s, default 1000), CONNS (connections = hey
# workers, 20), DURATION (seconds per run, 20), RUNS (runs per rate, 3; the figures of
# each run are printed and the median p99 decides), RATES (sweep instead of RATE),
# P99_MAX_MS (10, the sweep's bound), TARGET_P99_MS (3, the PASS/FAIL line of a single
# rate), MOAT (binary; default go build ./cmd/moat), HEY (default hey on PATH, else
# /tmp/bin/hey), H2 (1: hey speaks HTTP/2 as the API server does; default HTTP/1.1 as
# hey does), MOAT_ARGS (extra flags for moat serve admission), PPROF (--pprof-addr: the
# first run of each rate also writes cpu-RATE.pprof, trace-RATE.out (3 s of runtime/trace)
# and allocs-RATE.pprof into PROFILE_DIR, default /tmp/moat-hey-profiles; read them with
# go tool pprof -top MOAT FILE and go tool trace FILE).
#
# The shape of hey's load: each of its CONNS workers sends on its own ticker of CONNS/RATE
# seconds, and the tickers start together, so the requests come in bursts of CONNS at
# once every CONNS/RATE seconds (at 1,000/s with 20 connections: 20 requests within the
# same 2 ms, every 20 ms, measured from hey's own start offsets). p99 is then about the
# time to drain a burst of 20 on the cores the webhook shares with hey, which is why it
# is several times p50. SPREAD=1 runs CONNS hey processes of one connection each, their
# starts staggered by 1/RATE, so that requests arrive evenly, as an API server's do;
# CONNS Go processes take more of the shared cores than one hey, so compare SPREAD runs
# only with SPREAD runs.
#
# The review is one AdmissionReview of a privileged node-agent pod after API-server
# defaulting (bench/admission -write): the default rules deny it (9 findings enforced,
# 7 warned, 5 audited; a 6.8 KB answer), the largest answer a typical pod gets. hey is
# closed loop: each worker waits for its answer before its next request (-q is a rate
# per worker), so a stall lowers the rate sent instead of queueing requests; bench/admission (go run
# ./bench/admission) is the open-loop test. hey and the webhook share the machine's
# cores: the load average before each run is printed, and figures from a busy machine
# are not comparable with figures from a quiet one.
#
# NULL=1 measures the floor of this load on this machine: after the webhook has answered
# the review once, it is stopped and bench/admission/nullserver takes its address. That
# server reads each request's body and answers with the webhook's answer, byte for byte,
# reviewing nothing: its p99 is what hey, loopback TCP, TLS and net/http take under the
# same bursts, the least any webhook could reach here.
set -euo pipefail

RATE=${RATE:-1000}
CONNS=${CONNS:-20}
DURATION=${DURATION:-20}
RUNS=${RUNS:-3}
RATES=${RATES:-}
P99_MAX_MS=${P99_MAX_MS:-10}
TARGET_P99_MS=${TARGET_P99_MS:-3}
H2=${H2:-0}
SPREAD=${SPREAD:-0}
NULL=${NULL:-0}
MOAT_ARGS=${MOAT_ARGS:-}
PPROF=${PPROF:-}
PROFILE_DIR=${PROFILE_DIR:-/tmp/moat-hey-profiles}
HEY=${HEY:-$(command -v hey || echo /tmp/bin/hey)}

[ -x "$HEY" ] || { echo "hey not found (set HEY=/path/to/hey; go install github.com/rakyll/hey@latest)" >&2; exit 2; }
[ -f go.mod ] && [ -d cmd/moat ] || { echo "run from the repository root" >&2; exit 2; }

dir=$(mktemp -d /tmp/moat-hey-XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT

if [ -z "${MOAT:-}" ]; then
	MOAT=$dir/moat
	go build -o "$MOAT" ./cmd/moat
fi
go build -o "$dir/admbench" ./bench/admission
"$dir/admbench" -write "$dir"
echo "admission: {}" >"$dir/moat.yaml"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18443)
addr=127.0.0.1:$port
pprofFlag=()
[ -n "$PPROF" ] && pprofFlag=(--pprof-addr "$PPROF")
# shellcheck disable=SC2086
"$MOAT" serve admission --addr "$addr" --tls-cert "$dir/tls.crt" --tls-key "$dir/tls.key" \
	--config "$dir/moat.yaml" --log-level warn "${pprofFlag[@]}" $MOAT_ARGS &
pid=$!
for _ in $(seq 100); do
	curl -fsS --cacert "$dir/ca.crt" "https://$addr/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS --cacert "$dir/ca.crt" "https://$addr/readyz" >/dev/null || { echo "webhook not ready at $addr" >&2; exit 2; }

review=$dir/review-privileged.json
resp=$(curl -sS --cacert "$dir/ca.crt" -H 'Content-Type: application/json' --data-binary @"$review" "https://$addr/validate")
case $resp in
*'"allowed":false'*'"code":403'*) ;;
*) echo "the review was not denied with code 403: $resp" >&2; exit 2 ;;
esac
if [ "$NULL" = 1 ]; then
	printf %s "$resp" >"$dir/answer.json"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	go build -o "$dir/nullserver" ./bench/admission/nullserver
	"$dir/nullserver" -addr "$addr" -cert "$dir/tls.crt" -key "$dir/tls.key" -answer "$dir/answer.json" &
	pid=$!
	for _ in $(seq 100); do
		curl -fsS --cacert "$dir/ca.crt" "https://$addr/readyz" >/dev/null 2>&1 && break
		sleep 0.1
	done
	[ "$(curl -sS --cacert "$dir/ca.crt" -H 'Content-Type: application/json' --data-binary @"$review" "https://$addr/validate")" = "$resp" ] ||
		{ echo "nullserver did not answer as the webhook did" >&2; exit 2; }
	echo "NULL=1: bench/admission/nullserver (pid $pid) answers in the webhook's place with its answer, reviewing nothing"
fi
h2flag=()
[ "$H2" = 1 ] && h2flag=(-h2)
echo "moat: $MOAT, pid $pid at $addr; GOGC=${GOGC:-unset} GOMEMLIMIT=${GOMEMLIMIT:-unset} GOMAXPROCS=${GOMAXPROCS:-unset}; extra flags: ${MOAT_ARGS:-none}"
echo "review: privileged pod, $(wc -c <"$review") bytes in, $(printf %s "$resp" | wc -c) bytes out (denied, 403); hey $CONNS connections, HTTP/$([ "$H2" = 1 ] && echo 2 || echo 1.1), TLS, keep-alive"
if [ "$SPREAD" = 1 ]; then
	echo "arrivals: spread evenly ($CONNS hey processes of one connection, starts staggered by 1/rate)"
else
	echo "arrivals: hey's bursts of $CONNS requests at once, every $CONNS/rate s (SPREAD=1 spreads them)"
fi
echo "cores $(nproc); each run ${DURATION} s; latency is hey's, from sending a request to reading its answer;"
echo "webhook CPU is its user + system time over the run divided by the requests (less sensitive to other load than latency);"
echo "peak RSS is the webhook's VmHWM since it started;"
echo "connections are those the webhook accepted during the run, each a TLS handshake (hey opens $CONNS and keeps them alive; ? for a binary without moat_admission_connections_total)"

# metric NAME: the sum of a counter's samples on /metrics.
metric() {
	curl -fsS --cacert "$dir/ca.crt" "https://$addr/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2} END {printf "%d", s}'
}

# webhookErrors: reviews answered with an error, shed with 429 included (hey sees HTTP
# 200 for them: the refusal is inside the AdmissionReview). Requests refused with an
# HTTP error are hey's non-200 answers.
webhookErrors() { metric 'moat_admission_decisions_total{decision="error"}'; }

# cpuTicks: the webhook's user + system CPU time, in clock ticks.
cpuTicks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat"; }

# run RATE: one hey run; prints a line and sets p50, p99 (ms) and errs.
run() {
	local rate=$1 q n load e0 e1 stats
	q=$(((rate + CONNS - 1) / CONNS))
	# hey gives each connection n/CONNS requests and drops the remainder: ask for a multiple
	n=$((rate * DURATION / CONNS * CONNS))
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	e0=$(webhookErrors)
	local k0 k1 conns=?
	k0=$(metric moat_admission_connections_total)
	local c0 c1
	c0=$(cpuTicks)
	local prof=()
	if [ -n "$PPROF" ] && [ "$2" = 1 ]; then
		mkdir -p "$PROFILE_DIR"
		(sleep 1; curl -fsS -o "$PROFILE_DIR/cpu-$rate.pprof" "http://$PPROF/debug/pprof/profile?seconds=$((DURATION > 4 ? DURATION - 3 : 1))") &
		prof+=($!)
		(sleep $((DURATION / 2)); curl -fsS -o "$PROFILE_DIR/trace-$rate.out" "http://$PPROF/debug/pprof/trace?seconds=3") &
		prof+=($!)
	fi
	# -o csv: one line per answered request: response-time (s), ..., status-code, offset (s).
	if [ "$SPREAD" = 1 ]; then
		local i pids=() each=$((n / CONNS))
		n=$((each * CONNS))
		rm -f "$dir"/hey.*.csv "$dir"/hey.*.err
		for i in $(seq 0 $((CONNS - 1))); do
			(
				sleep "$(awk -v i="$i" -v r="$rate" 'BEGIN {printf "%.4f", i / r}')"
				exec "$HEY" -n "$each" -c 1 -q "$q" -m POST -T application/json -D "$review" "${h2flag[@]}" -o csv "https://$addr/validate" >"$dir/hey.$i.csv" 2>"$dir/hey.$i.err"
			) &
			pids+=($!)
		done
		wait "${pids[@]}" || true
		cat "$dir"/hey.*.csv >"$dir/hey.csv"
		cat "$dir"/hey.*.err >"$dir/hey.err"
	else
		"$HEY" -n "$n" -c "$CONNS" -q "$q" -m POST -T application/json -D "$review" "${h2flag[@]}" -o csv "https://$addr/validate" >"$dir/hey.csv" 2>"$dir/hey.err" || true
	fi
	c1=$(cpuTicks)
	e1=$(webhookErrors)
	k1=$(metric moat_admission_connections_total)
	# connections opened by hey: each read of /metrics opens one too (two since k0)
	[ "$k1" -gt 0 ] && conns=$((k1 - k0 - 2))
	if [ ${#prof[@]} -gt 0 ]; then
		wait "${prof[@]}" || true
		curl -fsS -o "$PROFILE_DIR/allocs-$rate.pprof" "http://$PPROF/debug/pprof/allocs" || true
		echo "    profiles of this run: $PROFILE_DIR/{cpu,trace,allocs}-$rate.*"
	fi
	# the times sorted, then percentiles; non-200 answers and unanswered requests are errors
	stats=$(awk -F, 'NR > 1 && $1 ~ /^[0-9]/ {print $1 * 1000, ($7 == 200 ? 0 : 1), $8}' "$dir/hey.csv" | sort -g |
		awk -v n="$n" '{t[++k] = $1; bad += $2; if ($3 > end) end = $3}
		function at(p,  i) { i = int(k * p) + 1; return t[i > k ? k : i] }
		END {
			if (k == 0) { print "? ? ? ? 0", n; exit }
			printf "%.2f %.2f %.2f %.2f %.0f %d\n", at(0.50), at(0.99), at(0.999), t[k], (end > 0 ? k / end : 0), n - k + bad
		}')
	read -r p50 p99 p999 pmax rps errs <<<"$stats"
	errs=$((errs + e1 - e0))
	local cpu
	cpu=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN {printf "%.0f", t / hz * 1e6 / n}')
	local rss
	rss=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
	printf '  rate %5d/s (sent %5s/s)  p50 %6s ms  p99 %6s ms  p99.9 %6s ms  max %7s ms  errors %d  webhook CPU %4s µs/request  connections %s  peak RSS %s MB  (load average before: %s)\n' \
		"$rate" "$rps" "$p50" "$p99" "$p999" "$pmax" "$errs" "$cpu" "$conns" "$rss" "$load"
	if [ "$errs" -gt 0 ]; then
		echo "    reviews answered with an error or shed (429): $((e1 - e0)) (moat_admission_shed_total $(metric moat_admission_shed_total) since start); hey: $(head -3 "$dir/hey.err" | tr '\n' ' ')"
	fi
	[ "$p99" != "?" ] || p99=999999
}

# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# rate RATE: RUNS runs; sets med99 and allok.
rate() {
	local r=$1 p99s=() i
	allok=1
	# Warm up: connections, TLS sessions, the heap's size.
	"$HEY" -n $((CONNS * 50)) -c "$CONNS" -m POST -T application/json -D "$review" "${h2flag[@]}" "https://$addr/validate" >/dev/null 2>&1 || true
	for i in $(seq "$RUNS"); do
		run "$r" "$i"
		p99s+=("$p99")
		[ "$errs" -eq 0 ] || allok=0
	done
	med99=$(median "${p99s[@]}")
	printf '  => rate %d/s: median p99 %s ms over %d runs, %s\n' "$r" "$med99" "$RUNS" "$([ "$allok" = 1 ] && echo "no errors" || echo "ERRORS")"
}

le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a <= b)}'; }

if [ -z "$RATES" ]; then
	rate "$RATE"
	if [ "$allok" = 1 ] && le "$med99" "$TARGET_P99_MS"; then
		echo "PASS  p99 <= $TARGET_P99_MS ms at $RATE req/s with zero errors (median p99 $med99 ms)"
	else
		echo "FAIL  p99 <= $TARGET_P99_MS ms at $RATE req/s with zero errors (median p99 $med99 ms)"
		exit 1
	fi
	exit 0
fi

best=0
missed=
summary=()
for r in $RATES; do
	rate "$r"
	if [ "$allok" = 1 ] && le "$med99" "$P99_MAX_MS"; then
		verdict=ok
		[ -n "$missed" ] || best=$r
	else
		verdict=MISS
		missed=$r
	fi
	summary+=("$(printf '  %6d req/s  median p99 %8s ms  %-9s %s' "$r" "$med99" "$([ "$allok" = 1 ] && echo no-errors || echo ERRORS)" "$verdict")")
done
echo "sweep (p99 bound $P99_MAX_MS ms, zero errors; load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%s\n' "${summary[@]}"
echo "highest rate with median p99 <= $P99_MAX_MS ms and zero errors, every lower rate of RATES also within: ${best} req/s"
