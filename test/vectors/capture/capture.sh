#!/bin/bash
# capture.sh - capture golden BGP message vectors from real implementations.
#
#   netns vc-spk                                         netns vc-col
#   speaker under test (bird|frr|gobgp|exabgp)           BIRD 2 "collector" (passive)
#   vc-s0 ============================ veth ============================ vc-c0
#   10.251.1.1/30  AS 65001   session ebgp4    10.251.1.2/30  AS 65000
#   fd00:251::1/64 AS 4200000001 ebgp6       fd00:251::2/64 AS 65000
#   10.251.2.1/30  AS 65001   session ibgp4    10.251.2.2/30  AS 65001 (hold 6 s, no ext. msg)
#   10.251.3.1/30  AS 65001   session as2      10.251.3.2/30  AS 65000, `enable as4 off`, no ext. msg
#   10.251.4.1/30  AS 65001   session badas    10.251.4.2/30  AS 65000 (speaker expects 65099:
#                                              it answers the collector's OPEN with Bad Peer AS)
#
# For each implementation it starts tcpdump on vc-c0, the collector, then the
# speaker, waits for the sessions, drives the scenarios (route refresh both
# ways, withdrawals, shutdown communication, hold-timer expiry, stop), and
# finally converts all pcaps into test/vectors/bgp/captured/<impl>.json with
# pcap2json.py (own decoder, cross-checked message by message against tshark).
#
# Usage (root):  test/vectors/capture/capture.sh [-k] [-o OUTDIR] [IMPL ...]
#   IMPL   any of bird frr gobgp exabgp (default: all four)
#   -o     where the JSON files go (default: test/vectors/bgp/captured)
#   -k     keep the work directory (/tmp/vc-capture-*: configs, logs, pcaps)
# It installs nothing; it checks the prerequisites and says what is missing.
# Traffic stays inside the two namespaces it creates (vc-spk, vc-col). On exit
# (also on Ctrl-C) it stops every process it started, by PID, and deletes the
# namespaces. Every wait is bounded.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
OUTDIR=$REPO/test/vectors/bgp/captured
KEEP=0
while getopts "ko:h" o; do
  case $o in
    k) KEEP=1 ;; o) OUTDIR=$OPTARG ;;
    *) sed -n '2,27p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
IMPLS=("$@")
[ ${#IMPLS[@]} -gt 0 ] || IMPLS=(bird frr gobgp exabgp)

NS_SPK=vc-spk; NS_COL=vc-col
IF_SPK=vc-s0;  IF_COL=vc-c0
SPK4=10.251.1.1; COL4=10.251.1.2          # ebgp4
SPK6=fd00:251::1; COL6=fd00:251::2        # ebgp6 (shared link: link-local next hops)
SPKI=10.251.2.1; COLI=10.251.2.2          # ibgp
SPK2=10.251.3.1; COL2=10.251.3.2          # as2 (collector without 4-octet AS)
SPKB=10.251.4.1; COLB=10.251.4.2          # badas (speaker expects AS $BAD_AS: OPEN error)
BAD_AS=65099
SPK_AS=65001; COL_AS=65000; BIG_AS=4200000001
N4=${N4:-1200}   # bulk IPv4 /32s (100.64.0.0 upwards)
N6=${N6:-300}    # bulk IPv6 /128s (2001:db8:251:: upwards)
SHUT_MSG_SPK="signalbox vectors: planned maintenance"
SHUT_MSG_COL="collector going down: vector capture done"
FRR_DIR=${FRR_DIR:-/usr/lib/frr}

WORK=$(mktemp -d /tmp/vc-capture-$(date +%Y%m%d-%H%M%S)-XXXX)
chmod 755 "$WORK"
PIDS=()

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
track() { PIDS+=("$1"); }

stop_pid() {     # stop_pid PID [SIGNAL]: signal, wait up to 5 s, then SIGKILL
  local pid=$1 sig=${2:-TERM} i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -"$sig" "$pid" 2>/dev/null
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; }
  wait "$pid" 2>/dev/null
  return 0
}

# wait_until SECONDS CMD...: run CMD every 0.2 s until it succeeds or time is up
wait_until() {
  local t=$1 i; shift
  for i in $(seq 1 $((t * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}

ns_down() {
  ip netns del "$NS_SPK" 2>/dev/null
  ip netns del "$NS_COL" 2>/dev/null
  return 0
}

cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
  PIDS=()
  ns_down
  if [ "$KEEP" = 1 ]; then log "work files kept in $WORK"; else rm -rf "$WORK"; fi
}

check_prereqs() {
  local missing=() c
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump)"
  for c in ip tcpdump tshark python3 bird birdc; do
    command -v "$c" >/dev/null || missing+=("$c")
  done
  for impl in "${IMPLS[@]}"; do
    case $impl in
      bird) ;;
      frr) [ -x "$FRR_DIR/bgpd" ] && [ -x "$FRR_DIR/zebra" ] || missing+=("$FRR_DIR/bgpd,zebra")
           command -v vtysh >/dev/null || missing+=(vtysh) ;;
      gobgp) command -v gobgpd >/dev/null || missing+=(gobgpd)
             command -v gobgp >/dev/null || missing+=(gobgp) ;;
      exabgp) command -v exabgp >/dev/null || missing+=(exabgp) ;;
      *) die "unknown implementation '$impl' (bird frr gobgp exabgp)" ;;
    esac
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "missing: ${missing[*]}"
    log "install with: apt-get install -y bird2 frr gobgpd exabgp tcpdump tshark  (DEBIAN_FRONTEND=noninteractive)"
    exit 1
  fi
}

pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }

ns_up() {
  ns_down
  ip netns add "$NS_SPK" && ip netns add "$NS_COL" || die "ip netns add failed"
  local ns
  for ns in "$NS_SPK" "$NS_COL"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  ip link add "$IF_SPK" type veth peer name "$IF_COL" || die "veth"
  ip link set "$IF_SPK" netns "$NS_SPK"
  ip link set "$IF_COL" netns "$NS_COL"
  ip netns exec "$NS_SPK" sysctl -qw net.ipv6.conf.$IF_SPK.accept_dad=0
  ip netns exec "$NS_COL" sysctl -qw net.ipv6.conf.$IF_COL.accept_dad=0
  ip -n "$NS_SPK" addr add "$SPK4/30" dev "$IF_SPK"
  ip -n "$NS_SPK" addr add "$SPKI/30" dev "$IF_SPK"
  ip -n "$NS_SPK" addr add "$SPK2/30" dev "$IF_SPK"
  ip -n "$NS_SPK" addr add "$SPKB/30" dev "$IF_SPK"
  ip -n "$NS_SPK" addr add "$SPK6/64" dev "$IF_SPK" nodad
  ip -n "$NS_COL" addr add "$COL4/30" dev "$IF_COL"
  ip -n "$NS_COL" addr add "$COLI/30" dev "$IF_COL"
  ip -n "$NS_COL" addr add "$COL2/30" dev "$IF_COL"
  ip -n "$NS_COL" addr add "$COLB/30" dev "$IF_COL"
  ip -n "$NS_COL" addr add "$COL6/64" dev "$IF_COL" nodad
  ip -n "$NS_SPK" link set lo up;  ip -n "$NS_COL" link set lo up
  ip -n "$NS_SPK" link set "$IF_SPK" up; ip -n "$NS_COL" link set "$IF_COL" up
  wait_until 10 sh -c "ip -n $NS_SPK link show dev $IF_SPK | grep -q 'state UP' &&
    ip -n $NS_COL link show dev $IF_COL | grep -q 'state UP'" || die "veth did not come up"
  # link-local addresses present and usable (they become BGP next hops)
  wait_until 10 sh -c "ip -n $NS_SPK -6 addr show dev $IF_SPK scope link | grep -q 'inet6 fe80' &&
    ! ip -n $NS_SPK -6 addr show dev $IF_SPK | grep -q tentative" || log "warning: no usable link-local address"
}

# ---------------------------------------------------------------- collector
COLLECTOR_IMPL=bird
col_prepare() {
  cat > "$RUN/collector.conf" <<EOF
# BIRD 2 collector: passive, import all, export none.
router id $COL4;
log "$RUN/collector.log" all;
protocol device { scan time 10; }
template bgp col {
  passive on;
  graceful restart on;
  enable extended messages on;
}
protocol bgp ebgp4 from col {
  local $COL4 as $COL_AS;
  neighbor $SPK4 as $SPK_AS;
  ipv4 { import all; export none; };
}
protocol bgp ebgp6 from col {
  local $COL6 as $COL_AS;
  neighbor $SPK6 as $BIG_AS;
  interface "$IF_COL";
  ipv6 { import all; export none; };
  ipv4 { import all; export none; extended next hop on; };
}
protocol bgp ibgp4 from col {
  local $COLI as $SPK_AS;
  neighbor $SPKI as $SPK_AS;
  hold time 6;
  enable extended messages off;   # large UPDATEs stay <= 4096 octets here
  ipv4 { import all; export none; };
}
protocol bgp as2 from col {
  local $COL2 as $COL_AS;
  neighbor $SPK2 as $SPK_AS;
  enable as4 off;
  enable extended messages off;
  ipv4 { import all; export none; };
}
protocol bgp badas from col {     # the speaker is configured with the wrong AS for us
  local $COLB as $COL_AS;
  neighbor $SPKB as $SPK_AS;
  ipv4 { import all; export none; };
}
EOF
}
col_start() {
  ip netns exec "$NS_COL" bird -f -c "$RUN/collector.conf" -s "$RUN/collector.ctl" \
    -P "$RUN/collector.pid" >"$RUN/collector.out" 2>&1 &
  COL_PID=$!; track "$COL_PID"
  wait_until 10 test -S "$RUN/collector.ctl" && sleep 0.3 && kill -0 "$COL_PID" 2>/dev/null ||
    die "collector did not start: $(tail -3 "$RUN/collector.out")"
}
colc() { timeout 10 birdc -s "$RUN/collector.ctl" "$@"; }
col_established() {   # col_established PROTO...: all Established
  local p out
  kill -0 "$SPK_PID" 2>/dev/null || { log "speaker exited"; return 2; }
  out=$(colc show protocols 2>/dev/null) || return 1
  for p in "$@"; do echo "$out" | grep -qE "^$p +BGP .* Established" || return 1; done
}

# ---------------------------------------------------------------- one run
SESSIONS=(ebgp4 ebgp6 ibgp4 as2)

manifest() {   # the run description pcap2json.py needs
  local impl=$1 ver=$2 cver
  cver=$(pkg_version bird2)
  cat > "$RUN/manifest.json" <<EOF
{
  "run": "$impl",
  "date": "$(date -u +%Y-%m-%d)",
  "pcap": "capture.pcap",
  "impls": {
    "$impl": "$ver",
    "$COLLECTOR_IMPL": "$cver"
  },
  "sessions": [
    {"name": "ebgp4", "peerType": "ebgp",
     "a": {"addr": "$SPK4", "impl": "$impl", "as": $SPK_AS},
     "b": {"addr": "$COL4", "impl": "$COLLECTOR_IMPL", "as": $COL_AS}},
    {"name": "ebgp6", "peerType": "ebgp",
     "a": {"addr": "$SPK6", "impl": "$impl", "as": $BIG_AS},
     "b": {"addr": "$COL6", "impl": "$COLLECTOR_IMPL", "as": $COL_AS}},
    {"name": "ibgp4", "peerType": "ibgp",
     "a": {"addr": "$SPKI", "impl": "$impl", "as": $SPK_AS},
     "b": {"addr": "$COLI", "impl": "$COLLECTOR_IMPL", "as": $SPK_AS}},
    {"name": "as2", "peerType": "ebgp",
     "a": {"addr": "$SPK2", "impl": "$impl", "as": $SPK_AS},
     "b": {"addr": "$COL2", "impl": "$COLLECTOR_IMPL", "as": $COL_AS}},
    {"name": "badas", "peerType": "ebgp",
     "a": {"addr": "$SPKB", "impl": "$impl", "as": $SPK_AS},
     "b": {"addr": "$COLB", "impl": "$COLLECTOR_IMPL", "as": $COL_AS}}
  ]
}
EOF
}

phase() { log "[$IMPL] $*"; echo "$(date +%s.%N) $*" >> "$RUN/phases.txt"; }

run_one() {
  IMPL=$1
  RUN=$WORK/$IMPL; mkdir -p "$RUN"; chmod 755 "$RUN"
  unset -f spk_version spk_prepare spk_start spk_load spk_refresh spk_withdraw \
    spk_shutdown_comm spk_stop
  # shellcheck source=/dev/null
  . "$HERE/impl/$IMPL.sh"
  local ver; ver=$(spk_version)
  log "=== $IMPL ($ver) ==="
  ns_up
  manifest "$IMPL" "$ver"
  ip netns exec "$NS_COL" tcpdump -i "$IF_COL" -n -s 0 -U -Z root -w "$RUN/capture.pcap" \
    'tcp port 179' >"$RUN/tcpdump.out" 2>&1 &
  TD_PID=$!; track "$TD_PID"
  wait_until 10 grep -q 'listening on' "$RUN/tcpdump.out" || die "tcpdump did not start: $(cat "$RUN/tcpdump.out")"
  col_prepare; col_start
  spk_prepare
  phase "start speaker"
  spk_start
  if declare -F spk_load >/dev/null; then spk_load || log "[$IMPL] load step reported a problem"; fi
  if wait_until 60 col_established "${SESSIONS[@]}" 2>/dev/null; then
    phase "all sessions Established"
  else
    log "[$IMPL] not all sessions up after 60 s:"; colc show protocols | grep BGP >&2
  fi
  sleep 4                                   # initial UPDATEs + End-of-RIB (FRR coalesces ~1 s)
  phase "route refresh from collector (BIRD reload in)"
  colc reload in ebgp4 >/dev/null; colc reload in ebgp6 >/dev/null
  sleep 2
  phase "route refresh from speaker"
  spk_refresh
  sleep 2
  phase "withdraw 198.51.100.100-103/32 and 2001:db8:251:2::0-3/128"
  spk_withdraw
  sleep 3
  phase "shutdown communication from speaker on ebgp4"
  spk_shutdown_comm
  sleep 2
  phase "shutdown communication from collector on ebgp6"
  colc disable ebgp6 "\"$SHUT_MSG_COL\"" >/dev/null
  sleep 1
  phase "collector frozen (SIGSTOP) for 9 s: ibgp4 hold timer (6 s) expires at the speaker"
  kill -STOP "$COL_PID"; sleep 9; kill -CONT "$COL_PID"
  sleep 2
  phase "speaker stopped (SIGTERM)"
  spk_stop
  sleep 1
  stop_pid "$COL_PID"
  sleep 0.5
  stop_pid "$TD_PID" INT
  ns_down
  log "[$IMPL] pcap: $(stat -c %s "$RUN/capture.pcap") bytes"
}

check_prereqs
exec 9>/tmp/vc-capture.lock
flock -n 9 || die "another capture.sh is running"
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns list | grep -qE "^($NS_SPK|$NS_COL)( |$)" && log "removing stale namespaces"
RUNS=()
for impl in "${IMPLS[@]}"; do
  run_one "$impl"
  # stop everything this run started before the next one
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
  PIDS=()
  RUNS+=("$WORK/$impl")
done
mkdir -p "$OUTDIR"
python3 "$HERE/pcap2json.py" --out "$OUTDIR" "${RUNS[@]}" || die "pcap2json failed"
log "done: $OUTDIR"
