# capture.sh driver: ExaBGP 4 as the speaker under test (sourced).
# Static routes in the configuration (explicit AS_PATH with an AS_SET,
# ATOMIC_AGGREGATE, AGGREGATOR, a generic unknown optional transitive attribute
# 0x99); runtime actions go through the API process exabgp-ctl.py, which
# relays commands written to the FIFO $RUN/ctl.fifo.
spk_version() { pkg_version exabgp; }
spk_prepare() {
  mkfifo "$RUN/ctl.fifo"
  local f=$RUN/exabgp.conf
  # nb ADDR LOCAL_ADDR LOCAL_AS PEER_AS FAMILIES EXTRA STATIC_FILE
  nb() {
    cat <<EOC
neighbor $1 {
  router-id $SPK4;
  local-address $2;
  local-as $3;
  peer-as $4;
  hold-time 90;
  group-updates true;
  capability {
    route-refresh enable;
    graceful-restart 120;
    add-path send;
    extended-message enable;
$6
  }
  family {
$5
  }
$7
  api {
    processes [ ctl ];
  }
}
EOC
  }
  local v4 v6 sp
  v4=$(python3 "$HERE/routes.py" v4bulk "$N4" | sed 's/^/    route /; s/$/ next-hop self;/')
  sp=$(cat <<EOC
    route 198.51.100.1/32 next-hop self origin egp med 50 community [ 65000:1 ] large-community [ 65000:1:2 ] extended-community [ target:65000:100 ];
    route 198.51.100.2/32 next-hop self origin incomplete as-path [ 4200000005 65010 ];
    route 198.51.100.3/32 next-hop self community [ no-export ];
    route 198.51.100.4/32 next-hop self atomic-aggregate aggregator ( 4200000002:10.0.0.9 );
    route 198.51.100.5/32 next-hop self attribute [ 0x99 0xc0 0x0102030405 ];
    route 198.51.100.6/32 next-hop self origin egp as-path [ 65010 ( 65020 4200000021 ) ];
    route 198.51.100.100/32 next-hop self;
    route 198.51.100.101/32 next-hop self;
    route 198.51.100.102/32 next-hop self;
    route 198.51.100.103/32 next-hop self;
EOC
)
  v6=$(python3 "$HERE/routes.py" v6bulk "$N6" | sed 's/^/    route /; s/$/ next-hop self;/')
  {
    echo "process ctl {"
    echo "  run /usr/bin/env python3 $HERE/exabgp-ctl.py $RUN/ctl.fifo;"
    echo "  encoder text;"
    echo "}"
    nb "$COL4" "$SPK4" "$SPK_AS" "$COL_AS" "    ipv4 unicast;" "    asn4 enable;" "  static {
$v4
$sp
  }"
    nb "$COL6" "$SPK6" "$BIG_AS" "$COL_AS" "    ipv6 unicast;
    ipv4 unicast;" "    asn4 enable;
    nexthop enable;" "  nexthop {
    ipv4 unicast ipv6;
  }
  static {
$v6
    route 2001:db8:251:1::1/128 next-hop self community [ 65000:6 ] large-community [ 4200000001:6:6 ];
    route 2001:db8:251:2::0/128 next-hop self;
    route 2001:db8:251:2::1/128 next-hop self;
    route 2001:db8:251:2::2/128 next-hop self;
    route 2001:db8:251:2::3/128 next-hop self;
    route 198.51.100.1/32 next-hop $SPK6 origin egp community [ 65000:1 ];
    route 198.51.100.7/32 next-hop $SPK6;
  }"
    nb "$COLI" "$SPKI" "$SPK_AS" "$SPK_AS" "    ipv4 unicast;" "    asn4 enable;" "  static {
$v4
$sp
  }"
    nb "$COL2" "$SPK2" "$SPK_AS" "$COL_AS" "    ipv4 unicast;" "    asn4 disable;" "  static {
$v4
$sp
  }"
    nb "$COLB" "$SPKB" "$SPK_AS" "$BAD_AS" "    ipv4 unicast;" "    asn4 enable;" ""
  } > "$f"
}
spk_start() {
  ip netns exec "$NS_SPK" env exabgp_daemon_user=root exabgp_daemon_daemonize=false \
    exabgp_api_cli=false exabgp_log_destination="$RUN/speaker.log" exabgp_log_level=INFO \
    exabgp "$RUN/exabgp.conf" >"$RUN/speaker.out" 2>&1 &
  SPK_PID=$!; track "$SPK_PID"
}
exa() { timeout 5 sh -c 'echo "$1" > "$2"' exa "$1" "$RUN/ctl.fifo"; sleep 0.3; }
spk_refresh() {
  exa "neighbor $COL4 announce route-refresh ipv4 unicast"
  exa "neighbor $COL6 announce route-refresh ipv6 unicast"
}
spk_withdraw() {
  local i
  for i in 100 101 102 103; do exa "neighbor $COL4 withdraw route 198.51.100.$i/32 next-hop self"; done
  for i in 0 1 2 3; do exa "neighbor $COL6 withdraw route 2001:db8:251:2::$i/128 next-hop self"; done
}
spk_shutdown_comm() { exa "neighbor $COL4 teardown 2"; }
spk_stop() { stop_pid "$SPK_PID"; }
