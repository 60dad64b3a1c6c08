# capture.sh driver: GoBGP (gobgpd) as the speaker under test (sourced).
# gobgpd starts with every neighbor admin-down; the routes are added to the
# global RIB with the gobgp CLI (gRPC on 127.0.0.1 inside vc-spk), then the
# neighbors are enabled. GoBGP has no static-route config, so the bulk sets
# are smaller than for the other speakers (one CLI call per prefix).
G_N4=${G_N4:-150}; G_N6=${G_N6:-60}
spk_version() { pkg_version gobgpd; }
gob() { ip netns exec "$NS_SPK" timeout 10 gobgp "$@"; }
spk_prepare() {
  local f=$RUN/gobgpd.toml
  {
    cat <<EOC
[global.config]
  as = $SPK_AS
  router-id = "$SPK4"
  port = -1
EOC
    # neighbor ADDR PEER_AS LOCAL_ADDR AFI-SAFI... (LOCAL_AS via env NB_LOCAL_AS)
    nb() {
      local addr=$1 pas=$2 laddr=$3; shift 3
      echo "[[neighbors]]"
      echo "  [neighbors.config]"
      echo "    neighbor-address = \"$addr\""
      echo "    peer-as = $pas"
      [ -n "${NB_LOCAL_AS:-}" ] && echo "    local-as = $NB_LOCAL_AS"
      echo "    admin-down = true"
      echo "  [neighbors.transport.config]"
      echo "    local-address = \"$laddr\""
      echo "  [neighbors.timers.config]"
      echo "    connect-retry = 2"
      echo "  [neighbors.graceful-restart.config]"
      echo "    enabled = true"
      echo "    restart-time = 120"
      local af
      for af in "$@"; do
        echo "  [[neighbors.afi-safis]]"
        echo "    [neighbors.afi-safis.config]"
        echo "      afi-safi-name = \"$af\""
        echo "    [neighbors.afi-safis.mp-graceful-restart.config]"
        echo "      enabled = true"
        if [ "$addr" = "$COL4" ]; then
          echo "    [neighbors.afi-safis.add-paths.config]"
          echo "      send-max = 4"
        fi
      done
    }
    nb "$COL4" "$COL_AS" "$SPK4" ipv4-unicast
    NB_LOCAL_AS=$BIG_AS nb "$COL6" "$COL_AS" "$SPK6" ipv6-unicast ipv4-unicast
    nb "$COLI" "$SPK_AS" "$SPKI" ipv4-unicast
    nb "$COL2" "$COL_AS" "$SPK2" ipv4-unicast
    nb "$COLB" "$BAD_AS" "$SPKB" ipv4-unicast
  } > "$f"
}
spk_start() {
  ip netns exec "$NS_SPK" gobgpd -f "$RUN/gobgpd.toml" -t toml --api-hosts 127.0.0.1:50051 \
    --pprof-disable -l info >"$RUN/speaker.log" 2>&1 &
  SPK_PID=$!; track "$SPK_PID"
}
spk_load() {
  wait_until 20 gob neighbor >/dev/null 2>&1 || { log "gobgp: API not reachable"; return 1; }
  local p t0=$SECONDS
  for p in $(python3 "$HERE/routes.py" v4bulk "$G_N4"); do
    gob global rib add -a ipv4 "$p" origin igp
    [ $((SECONDS - t0)) -lt 120 ] || { log "gobgp: route loading took over 120 s, giving up"; return 1; }
  done
  for p in $(python3 "$HERE/routes.py" v6bulk "$G_N6"); do
    gob global rib add -a ipv6 "$p" origin igp
    [ $((SECONDS - t0)) -lt 120 ] || { log "gobgp: route loading took over 120 s, giving up"; return 1; }
  done
  gob global rib add -a ipv4 198.51.100.1/32 origin egp med 50 community 65000:1 \
    large-community 65000:1:2 rt 65000:100
  gob global rib add -a ipv4 198.51.100.2/32 origin incomplete aspath 4200000005,65010
  gob global rib add -a ipv4 198.51.100.3/32 origin igp community no-export local-pref 200
  gob global rib add -a ipv4 198.51.100.4/32 origin igp aggregator 4200000002:10.0.0.9
  gob global rib add -a ipv4 198.51.100.5/32 origin igp aigp metric 100
  gob global rib add -a ipv4 198.51.100.6/32 origin egp aspath "65010,{65020,4200000021}"
  for p in 100 101 102 103; do gob global rib add -a ipv4 198.51.100.$p/32 origin igp; done
  gob global rib add -a ipv6 2001:db8:251:1::1/128 origin igp community 65000:6 large-community 4200000001:6:6
  for p in 0 1 2 3; do gob global rib add -a ipv6 2001:db8:251:2::$p/128 origin igp; done
  for p in "$COL4" "$COL6" "$COLI" "$COL2" "$COLB"; do gob neighbor "$p" enable >/dev/null; done
}
spk_refresh() {
  gob neighbor "$COL4" softresetin -a ipv4 >/dev/null
  gob neighbor "$COL6" softresetin -a ipv6 >/dev/null
}
spk_withdraw() {
  local p
  for p in 100 101 102 103; do gob global rib del -a ipv4 198.51.100.$p/32; done
  for p in 0 1 2 3; do gob global rib del -a ipv6 2001:db8:251:2::$p/128; done
}
spk_shutdown_comm() { gob neighbor "$COL4" shutdown --reason "$SHUT_MSG_SPK" >/dev/null; }
spk_stop() { stop_pid "$SPK_PID"; }
