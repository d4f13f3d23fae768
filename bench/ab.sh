#!/usr/bin/env bash
# Quick A/B of proxies that are already running: wrk mix.lua against each
# port in turn, REPS rounds (alternating, so drift hits all alike), then the
# medians of req/s and of the proxy's CPU µs per request (user+system time
# of the processes listening on the port, from /proc, over requests served).
# The step table in docs/BENCHMARKS.md was measured with it.
#
#   (cd ../shared/bench/peer && WORKERS=1 PIN=1 INSTANCES="origin plain" ./run-peer.sh restart)
#   taskset -c 0 target/release/haetae run --config /tmp/haetae-bench/haetae-parse.toml &
#       # written by bench/run.sh, with its WORKERS (1 unless set)
#   bench/ab.sh 18081 18091
#
# Knobs: REPS (3), DURATION (5), THREADS (1), CONNS (64), CPU (1: the core
# wrk runs on; empty for none), SCRIPT (mix.lua).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEER="$(cd "$HERE/../../shared/bench/peer" && pwd)"
REPS="${REPS:-3}" DURATION="${DURATION:-5}" THREADS="${THREADS:-1}" CONNS="${CONNS:-64}" CPU="${CPU-1}" SCRIPT="${SCRIPT:-mix.lua}"
[ $# -gt 0 ] || { echo "usage: bench/ab.sh PORT..." >&2; exit 2; }
pids_on() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u; }
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
pre=(); [ -n "$CPU" ] && pre=(taskset -c "$CPU")
declare -A RPS CPUS
for _ in $(seq "$REPS"); do
    for port in "$@"; do
        mapfile -t pids < <(pids_on "$port")
        [ ${#pids[@]} -gt 0 ] || { echo "nothing listens on $port" >&2; exit 1; }
        t0=$(ticks "${pids[@]}")
        out=$(cd "$PEER" && "${pre[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s "$SCRIPT" "http://127.0.0.1:$port" | grep RESULT)
        t1=$(ticks "${pids[@]}")
        rps=$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$out")
        reqs=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$out")
        cpu=$(awk -v a="$t0" -v b="$t1" -v n="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz * 1e6 / n }')
        echo "$port rps=$rps cpu_us=$cpu $(grep -o 'p99_ms=[0-9.]*' <<<"$out")"
        RPS[$port]+=" $rps"; CPUS[$port]+=" $cpu"
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for port in "$@"; do
    echo "port $port: median req/s $(median <<<"${RPS[$port]}"), CPU µs/req $(median <<<"${CPUS[$port]}")"
done
