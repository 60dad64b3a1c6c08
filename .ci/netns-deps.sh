#!/usr/bin/env bash
# Installs what the network tests (`npm run test:netns`, test/netns/) need on Debian, and makes
# sure none of the routing daemons runs as a system service: the tests start their own
# instances inside network namespaces, and a system BIRD/FRR/GoBGP/ExaBGP would only get in
# the way. Idempotent: a second run installs nothing and stops nothing. Needs root.
#
# System services are stopped through systemd (which stops a unit's own cgroup), or, without
# systemd, by the PID in the service's own pid file or control socket. Never by process name:
# the Debian init scripts for bird and exabgp would `start-stop-daemon --exec`, which would hit
# every bird on the machine, including test instances of other runs.
set -euo pipefail

PKGS=(bird2 frr gobgpd exabgp tcpdump arping ndisc6 iproute2 iputils-ping procps curl openssl python3)
SERVICES=(bird frr gobgpd exabgp)

log() { printf 'netns-deps: %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { log "needs root (network namespaces, apt-get)"; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  # While installing, forbid maintainer scripts from starting services (invoke-rc.d honours
  # policy-rc.d exit 101). Only if no policy exists already; ours is removed afterwards.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, from .ci/netns-deps.sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PKGS[@]}"
else
  log "all packages present: ${PKGS[*]}"
fi

# kill_pidfile FILE EXE_PREFIX: SIGTERM the PID in FILE if it runs an executable under EXE_PREFIX.
kill_pidfile() {
  local f=$1 want=$2 pid exe i
  [ -r "$f" ] || return 0
  pid=$(tr -dc '0-9' <"$f")
  [ -n "$pid" ] && [ -e "/proc/$pid" ] || return 0
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  case "$exe" in
    "$want"*) ;;
    *) return 0 ;;
  esac
  log "stopping system $exe (pid $pid from $f)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do [ -e "/proc/$pid" ] || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

if [ -d /run/systemd/system ]; then
  for s in "${SERVICES[@]}"; do
    systemctl list-unit-files --no-legend "$s.service" 2>/dev/null | grep -q . || continue
    if systemctl is-active --quiet "$s.service" || systemctl is-enabled --quiet "$s.service" 2>/dev/null; then
      log "disabling and stopping $s.service"
      systemctl disable --now "$s.service" >/dev/null 2>&1 || systemctl stop "$s.service"
    fi
  done
else
  # No systemd: keep the SysV links from starting them at boot, then stop what runs.
  if command -v update-rc.d >/dev/null; then
    for s in "${SERVICES[@]}"; do
      [ -x "/etc/init.d/$s" ] && update-rc.d "$s" disable >/dev/null 2>&1 || true
    done
  fi
  # System BIRD: its control socket, not its name.
  if [ -S /run/bird/bird.ctl ]; then
    log "stopping system bird through /run/bird/bird.ctl"
    timeout 10 birdc -s /run/bird/bird.ctl down >/dev/null 2>&1 || true
  fi
  for f in /run/frr/*.pid; do [ -e "$f" ] && kill_pidfile "$f" /usr/lib/frr/; done
  kill_pidfile /run/exabgp/exabgp.pid /usr/bin/python3
fi

# What the tests will find.
for b in bird birdc vtysh /usr/lib/frr/zebra /usr/lib/frr/bgpd gobgpd gobgp exabgp arping ndisc6 tcpdump ip ping setpriv; do
  command -v "$b" >/dev/null || { log "missing after install: $b"; exit 1; }
done
log "versions: $(dpkg-query -W -f='${Package} ${Version}, ' bird2 frr gobgpd exabgp | sed 's/, $//')"
