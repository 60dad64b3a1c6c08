#!/bin/bash
# l2-capture.sh - capture golden ARP and NDP frames for protocol/l2.
#
#   netns l2c-a-<pid>  "client"                    netns l2c-b-<pid>  "host" (Linux answers)
#   l2ca0 02:00:00:52:00:01 ========= veth ========= l2cb0 02:00:00:52:00:02
#   10.252.0.1/30  fd00:252::1/64                    10.252.0.2/30  fd00:252::2/64
#
# Steps (one pcap each, tcpdump on l2ca0): the link coming up (DAD, MLD, RS), arping
# requests, an ARP probe, gratuitous ARP request and reply, an 802.1Q-tagged request, a
# request for an address nobody has, ping (ICMPv4 and ICMPv6 echo), ndisc6 from the
# link-local and the global address, and NS/NA crafted by l2-capture.py: valid ones sent
# through a raw ICMPv6 socket (the kernel computes the checksum) and invalid ones (hop
# limit, code, option length, DAD rules, checksum) through a raw ICMPv6 or AF_PACKET socket.
# Whether host B's kernel answered each request is recorded beside it.
# Finally l2-capture.py converts every pcap into test/vectors/l2/captured.json.
#
# Usage (root):  test/vectors/capture/l2-capture.sh [-k] [-o FILE]
#   -o  output file (default test/vectors/l2/captured.json)
#   -k  keep the work directory (/tmp/l2c-capture-*)
# It installs nothing: it needs ip, tcpdump, arping (Thomas Habets' 2.x), ndisc6, ping, python3.
# Traffic stays on the veth pair between the two namespaces it creates, using only
# 10.252.0.0/30, fd00:252::/64 and link-local addresses. On exit (also Ctrl-C) an EXIT trap
# stops every process it started, by PID, and deletes the namespaces. Every wait is bounded.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
OUT=$REPO/test/vectors/l2/captured.json
KEEP=0
while getopts "ko:h" o; do
  case $o in
    k) KEEP=1 ;; o) OUT=$OPTARG ;;
    *) sed -n '2,24p' "$0"; exit 2 ;;
  esac
done

missing=()
for c in ip tcpdump arping ndisc6 ping python3 timeout; do command -v "$c" >/dev/null || missing+=("$c"); done
[ ${#missing[@]} -eq 0 ] || { echo "missing: ${missing[*]} (Debian: apt-get install iproute2 tcpdump arping ndisc6 iputils-ping python3)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }

NSA=l2c-a-$$; NSB=l2c-b-$$
IFA=l2ca0; IFB=l2cb0
MACA=02:00:00:52:00:01; MACB=02:00:00:52:00:02
A4=10.252.0.1; B4=10.252.0.2; NOBODY4=10.252.0.3
A6=fd00:252::1; B6=fd00:252::2; NOBODY6=fd00:252::99
WORK=$(mktemp -d /tmp/l2c-capture-XXXXXX)
PIDS=()

stop_pid() { # stop one process we started: TERM, up to 5 s, then KILL
  local p=$1
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
}
cleanup() {
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  if [ $KEEP -eq 1 ]; then echo "work directory kept: $WORK" >&2; else rm -rf -- "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

inA() { ip netns exec "$NSA" "$@"; }
inB() { ip netns exec "$NSB" "$@"; }

ip netns add "$NSA" && ip netns add "$NSB" || exit 1
ip link add "$IFA" netns "$NSA" address $MACA type veth peer name "$IFB" netns "$NSB" address $MACB || exit 1
for ns in "$NSA" "$NSB"; do
  ip netns exec "$ns" ip link set lo up
  # IPv6 on: namespaces may inherit disable_ipv6 from the host's defaults.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
done
inB sysctl -qw net.ipv6.conf.$IFB.ndisc_notify=1
inA ip addr add $A4/30 dev $IFA
inB ip addr add $B4/30 dev $IFB
inA ip addr add $A6/64 dev $IFA
inB ip addr add $B6/64 dev $IFB
inA ip link set $IFA up

TCPDUMP_PID=
start_capture() { # $1 = step name
  local f=$WORK/$1
  ip netns exec "$NSA" timeout 120 tcpdump -i $IFA -nn -U --immediate-mode -s 0 -w "$f.pcap" 'arp or icmp6 or icmp or ip6 proto 0 or (vlan and arp)' 2>"$f.tcpdump.log" &
  TCPDUMP_PID=$!
  PIDS+=("$TCPDUMP_PID")
  for _ in $(seq 50); do grep -q "listening on" "$f.tcpdump.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "tcpdump did not start for $1" >&2; exit 1
}
stop_capture() { # give answers a moment, then stop tcpdump (it flushes on TERM)
  sleep "${1:-0.5}"
  stop_pid "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" 2>/dev/null
}
wait_dad() { # until no tentative address is left in namespace $1 (at most 10 s)
  for _ in $(seq 100); do
    ip netns exec "$1" ip -6 addr show tentative | grep -q inet6 || return 0
    sleep 0.1
  done
  echo "DAD did not finish in $1" >&2
}
craft() { ip netns exec "$NSA" timeout 10 python3 "$HERE/l2-capture.py" send --ifname $IFA "$@" || { echo "craft $1 failed" >&2; exit 1; }; }

# link-up: B comes up while we listen (DAD NS from ::, MLDv2 reports, RS, ndisc_notify NA).
start_capture link-up
inB ip link set $IFB up
wait_dad "$NSA"; wait_dad "$NSB"
stop_capture 1.5

LLA=$(inA ip -6 -o addr show dev $IFA scope link | awk '{print $4}' | cut -d/ -f1)
LLB=$(inB ip -6 -o addr show dev $IFB scope link | awk '{print $4}' | cut -d/ -f1)
echo "link-local A=$LLA B=$LLB" >&2

start_capture arping;           inA timeout 10 arping -c 2 -w 1 -i $IFA $B4 >/dev/null; stop_capture
start_capture arp-probe;        inA timeout 10 arping -0 -c 1 -w 1 -i $IFA $B4 >/dev/null; stop_capture
start_capture arp-unowned;      inA timeout 10 arping -c 1 -w 1 -i $IFA $NOBODY4 >/dev/null; stop_capture
start_capture garp-request;     inA timeout 10 arping -U -c 1 -w 1 -i $IFA -S $A4 $A4 >/dev/null; stop_capture
start_capture garp-reply;       inA timeout 10 arping -U -P -c 1 -w 1 -i $IFA -S $A4 $A4 >/dev/null; stop_capture
start_capture arp-vlan;         inA timeout 10 arping -V 100 -c 1 -w 1 -i $IFA $B4 >/dev/null; stop_capture
start_capture ping4;            inA timeout 10 ping -c 1 -W 1 $B4 >/dev/null; stop_capture
start_capture ping6;            inA timeout 10 ping -6 -c 1 -W 1 $B6 >/dev/null; stop_capture
start_capture ndisc6-ll;        inA timeout 10 ndisc6 -1 -r 1 -w 1000 -s "$LLA" $B6 $IFA >/dev/null; stop_capture
start_capture ndisc6-global;    inA timeout 10 ndisc6 -1 -r 1 -w 1000 -s $A6 $B6 $IFA >/dev/null; stop_capture
start_capture ndisc6-unowned;   inA timeout 10 ndisc6 -1 -r 1 -w 500 $NOBODY6 $IFA >/dev/null; stop_capture

# Crafted solicitations: l2-capture.py send CASE [args]; see its CASES table.
for c in ns-unicast ns-unicast-no-slla ns-nonce-option ns-hop-limit-64 ns-code-1 ns-option-length-zero \
         ns-target-multicast ns-short ns-all-nodes-destination na-unsolicited; do
  start_capture "$c"; craft "$c" --record "$WORK/$c.sent" --src "$A6" --dst "$B6" --target "$B6" --mac $MACA --lla "$LLA"; stop_capture
done
for c in ns-dad ns-dad-slla ns-dad-unicast ns-bad-checksum ns-hop-by-hop; do
  start_capture "$c"; craft "$c" --record "$WORK/$c.sent" --src "$A6" --dst "$B6" --target "$B6" --mac $MACA --lla "$LLA" --dstmac $MACB; stop_capture
done

COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
python3 "$HERE/l2-capture.py" convert --work "$WORK" --out "$OUT" \
  --a-mac $MACA --b-mac $MACB --b-addresses "$B4,$B6" --b-link-local "$LLB" \
  --tools "$(uname -r); $(tcpdump --version 2>&1 | head -1); $(arping --help 2>&1 | head -1 | cut -d, -f1); ndisc6 $(dpkg-query -W -f='${Version}' ndisc6 2>/dev/null || echo unknown); repo $COMMIT" || exit 1
echo "wrote $OUT" >&2
