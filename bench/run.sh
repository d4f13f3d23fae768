#!/usr/bin/env bash
# Haetae against the peer (../shared/bench/peer): the same origin, the same
# wrk scripts, the same CPU budget, in one run. Writes a TSV per run and a
# markdown table of medians.
#
#   bench/run.sh                 # WORKERS=1, PIN=1: every proxy on core 0, wrk + origin on core 1
#   WORKERS=2 PIN=0 bench/run.sh # two workers each, unpinned
#
# Targets: plain nginx proxy (18081), nginx+ModSecurity+CRS 3.3.4 PL1 (18082),
# nginx+ModSecurity+CRS v4.28 PL1 (18086), Haetae parsing only (18091: the
# request is parsed into the model, every detector off), Haetae with the
# default engine (18090), Haetae running the same CRS v4.28 PL1 rules as
# crs4 and nothing else (18092: native engine off).
# Knobs: REPS (3), DURATION (10), CONNS (64), WORKLOADS ("get1k mix"), TARGETS.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PEER="$(cd "$ROOT/../shared/bench/peer" && pwd)"
RUN_DIR="${PEER_RUN_DIR:-/tmp/waf-peer-run}"
OUT_DIR="${OUT_DIR:-/tmp/haetae-bench}"
WORKERS="${WORKERS:-1}" PIN="${PIN:-1}" REPS="${REPS:-3}" DURATION="${DURATION:-10}" CONNS="${CONNS:-64}"
WORKLOADS="${WORKLOADS:-get1k mix}"
TARGETS="${TARGETS:-plain pl1 crs4 haetae-parse haetae haetae-crs4}"
declare -A PORT=([plain]=18081 [pl1]=18082 [crs4]=18086 [haetae-parse]=18091 [haetae]=18090 [haetae-crs4]=18092 [bare]=18093 [bare-legacy]=18094)
mkdir -p "$OUT_DIR"

log() { printf '[bench] %s\n' "$*" >&2; }

log "building haetae (release)"
(cd "$ROOT" && cargo build --release -p haetae --locked >&2)
(cd "$ROOT" && cargo build --release -p haetae-proxy --example bare_forward --locked >&2)
BIN="$ROOT/target/release/haetae"

log "starting the peer (workers=$WORKERS pin=$PIN)"
(cd "$PEER" && WORKERS="$WORKERS" PIN="$PIN" INSTANCES="origin plain pl1 crs4" ./run-peer.sh restart >&2)

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start_haetae() { # name port disabled_detectors [extra site keys]
    local name=$1 port=$2 disabled=$3 extra=${4:-} cfg="$OUT_DIR/$1.toml"
    cat > "$cfg" <<TOML
[server]
listen = ["127.0.0.1:$port"]
admin = "127.0.0.1:$((port + 1000))"
workers = $WORKERS
watch_config = false
[[site]]
name = "$name"
hosts = ["*"]
mode = "prevention"
disabled_detectors = $disabled
$extra
[site.upstream]
servers = ["127.0.0.1:18080"]
TOML
    local pre=()
    [ "$PIN" = 1 ] && pre=(taskset -c 0)
    HAETAE_LOG=warn "${pre[@]}" "$BIN" run --config "$cfg" 2>"$OUT_DIR/$name.log" &
    PIDS+=($!)
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
    log "haetae $name did not start"; cat "$OUT_DIR/$name.log" >&2; exit 1
}
# Every detector family (haetae_config::DETECTORS; the proxy's unit test
# config_knows_every_engine_family keeps that list equal to the engine's).
ALL='["sqli","xss","cmdi","traversal","code","java","js","ssrf","crlf","ldap","nosql","graphql","xxe","scanner","upload","session","protocol","evasion"]'
start_haetae haetae 18090 '[]'
HAETAE_PID=${PIDS[-1]}
start_haetae haetae-parse 18091 "$ALL"
PARSE_PID=${PIDS[-1]}
# The crs4 instance's rules: its base.conf, paranoia level 1, the CRS
# setup defaults, the rules.
CRS4_PID=
if [[ " $TARGETS " == *" haetae-crs4 "* ]]; then
    start_haetae haetae-crs4 18092 '[]' "native_engine = false
seclang = [\"$PEER/modsec/base.conf\", \"$HERE/crs4-pl1.conf\", \"$PEER/../../crs/crs-setup.conf.example\", \"$PEER/../../crs/rules/*.conf\"]"
    CRS4_PID=${PIDS[-1]}
fi

start_bare() { # name port client
    local pre=()
    [ "$PIN" = 1 ] && pre=(taskset -c 0)
    "${pre[@]}" "$ROOT/target/release/examples/bare_forward" "127.0.0.1:$2" 127.0.0.1:18080 "$3" 2>"$OUT_DIR/$1.log" &
    PIDS+=($!)
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0; sleep 0.1; done
    log "$1 did not start"; exit 1
}
BARE_PID= BARE_LEGACY_PID=
if [[ " $TARGETS " == *" bare "* ]]; then start_bare bare 18093 conn; BARE_PID=${PIDS[-1]}; fi
if [[ " $TARGETS " == *" bare-legacy "* ]]; then start_bare bare-legacy 18094 legacy; BARE_LEGACY_PID=${PIDS[-1]}; fi

proc_pids() { # target -> pids whose CPU is the proxy's
    case "$1" in
        haetae) echo "$HAETAE_PID" ;;
        haetae-parse) echo "$PARSE_PID" ;;
        haetae-crs4) echo "$CRS4_PID" ;;
        bare) echo "$BARE_PID" ;;
        bare-legacy) echo "$BARE_LEGACY_PID" ;;
        *) pgrep -P "$(cat "$RUN_DIR/pids/$1.pid")" ;;
    esac
}
ticks() { local s=0 p; for p in "$@"; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $s; }

# Benign check first: no target may refuse the benchmark requests.
for t in $TARGETS; do
    for n in 1 2 3 4; do
        r="$(wrk -t1 -c1 -d1s -s "$PEER/mix.lua" "http://127.0.0.1:${PORT[$t]}" -- only=$n | grep '^RESULT')"
        non=$(sed -n 's/.*non2xx3xx=\([0-9]*\).*/\1/p' <<< "$r")
        [ "$non" = 0 ] || { log "$t refuses mix request $n ($r)"; exit 1; }
    done
done

stamp=$(date +%Y%m%d-%H%M%S)
tsv="$OUT_DIR/$stamp-w$WORKERS-pin$PIN.tsv"
echo -e "target\tworkload\trep\trps\tp50_ms\tp99_ms\tcpu_us_per_req\tnon2xx\terrors" > "$tsv"
hz=$(getconf CLK_TCK)
wrk_pre=()
[ "$PIN" = 1 ] && wrk_pre=(taskset -c 1)
for rep in $(seq "$REPS"); do
    for t in $TARGETS; do
        for wl in $WORKLOADS; do
            case $wl in get1k) s=get.lua; a=(-- /1k.html) ;; get100k) s=get.lua; a=(-- /100k.html) ;; mix) s=mix.lua; a=() ;; esac
            mapfile -t pids < <(proc_pids "$t")
            c0=$(ticks "${pids[@]}")
            r="$("${wrk_pre[@]}" wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 5s -s "$PEER/$s" "http://127.0.0.1:${PORT[$t]}" "${a[@]}" | grep '^RESULT')"
            c1=$(ticks "${pids[@]}")
            awk -v line="$r" -v t="$t" -v wl="$wl" -v rep="$rep" -v c=$((c1 - c0)) -v hz="$hz" 'BEGIN {
                n = split(line, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
                us = v["requests"] > 0 ? (c / hz) * 1e6 / v["requests"] : 0
                printf "%s\t%s\t%s\t%.0f\t%.3f\t%.3f\t%.1f\t%d\t%d\n", t, wl, rep, v["rps"], v["p50_ms"], v["p99_ms"], us, v["non2xx3xx"], v["err_connect"] + v["err_read"] + v["err_write"] + v["err_timeout"]
            }' | tee -a "$tsv" >&2
            sleep 1
        done
    done
done

log "results: $tsv"
# Medians, and ratios against the plain nginx proxy of the same run.
awk -F'\t' -v w="$WORKERS" -v pin="$PIN" '
function med(s,  n, a, i, j, x) { n = split(s, a, " "); for (i = 2; i <= n; i++) { x = a[i] + 0; j = i - 1; while (j > 0 && a[j] + 0 > x) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
NR == 1 { next }
{ k = $1 SUBSEP $2; if (!(k in seen)) { order[++cnt] = k; seen[k] = 1 } rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; us[k] = us[k] " " $7; bad[k] += $8 + $9 }
END {
    printf "| workers %s, pinned %s | workload | req/s | × plain nginx | p50 ms | p99 ms | CPU µs/req | × plain nginx | non-2xx + errors |\n|---|---|---|---|---|---|---|---|---|\n", w, pin
    for (i = 1; i <= cnt; i++) { split(order[i], f, SUBSEP); base = "plain" SUBSEP f[2]
        printf "| %s | %s | %.0f | %.2f | %.2f | %.2f | %.1f | %.2f | %d |\n", f[1], f[2], med(rps[order[i]]), med(rps[order[i]]) / med(rps[base]),
            med(p50[order[i]]), med(p99[order[i]]), med(us[order[i]]), med(us[order[i]]) / med(us[base]), bad[order[i]] }
}' "$tsv" | tee "$OUT_DIR/$stamp-w$WORKERS-pin$PIN.md"
