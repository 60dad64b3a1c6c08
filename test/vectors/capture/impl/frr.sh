# capture.sh driver: FRR (zebra + bgpd) as the speaker under test (sourced).
# `network` statements (no import check) with per-prefix route-maps for the
# attributes; zebra runs so bgpd knows the interface (IPv6 link-local next hop).
# Both daemons run as user frr with config, pid files, zserv and vty sockets
# in $RUN/frr, so no system FRR is touched.
spk_version() { pkg_version frr; }
frr_vtysh() { timeout 20 vtysh --vty_socket "$RUN/frr" -H /dev/null -d bgpd "$@"; }
spk_prepare() {
  local d=$RUN/frr
  mkdir -p "$d"; chown frr:frr "$d"
  echo "hostname vc-frr-zebra" > "$d/zebra.conf"
  {
    cat <<EOC
hostname vc-frr
!
route-map RM1 permit 10
 set origin egp
 set metric 50
 set community 65000:1
 set large-community 65000:1:2
 set extcommunity rt 65000:100
exit
route-map RM2 permit 10
 set origin incomplete
 set as-path prepend 4200000005 65010
exit
route-map RM3 permit 10
 set community no-export
exit
route-map RM4 permit 10
 set atomic-aggregate
 set aggregator as 4200000002 10.0.0.9
exit
route-map RM5 permit 10
 set extcommunity bandwidth 100
exit
route-map RM6 permit 10
 set community 65000:6
 set large-community 4200000001:6:6
exit
!
router bgp $SPK_AS
 bgp router-id $SPK4
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 bgp graceful-restart
 neighbor $COL4 remote-as $COL_AS
 neighbor $COL4 update-source $SPK4
 neighbor $COL4 timers connect 2
 neighbor $COL6 remote-as $COL_AS
 neighbor $COL6 local-as $BIG_AS no-prepend replace-as
 neighbor $COL6 update-source $SPK6
 neighbor $COL6 timers connect 2
 neighbor $COL6 capability extended-nexthop
 neighbor $COLI remote-as $SPK_AS
 neighbor $COLI update-source $SPKI
 neighbor $COLI timers connect 2
 neighbor $COL2 remote-as $COL_AS
 neighbor $COL2 update-source $SPK2
 neighbor $COL2 timers connect 2
 neighbor $COLB remote-as $BAD_AS
 neighbor $COLB update-source $SPKB
 neighbor $COLB timers connect 2
 !
 address-family ipv4 unicast
EOC
    python3 "$HERE/routes.py" v4bulk "$N4" | sed 's/^/  network /'
    for i in 1 2 3 4 5 6; do echo "  network 198.51.100.$i/32 route-map RM$i"; done
    for i in 100 101 102 103; do echo "  network 198.51.100.$i/32"; done
    cat <<EOC
  neighbor $COL4 activate
  neighbor $COL4 addpath-tx-all-paths
  neighbor $COL6 activate
  neighbor $COLI activate
  neighbor $COL2 activate
  neighbor $COLB activate
 exit-address-family
 address-family ipv6 unicast
EOC
    python3 "$HERE/routes.py" v6bulk "$N6" | sed 's/^/  network /'
    echo "  network 2001:db8:251:1::1/128 route-map RM6"
    for i in 0 1 2 3; do echo "  network 2001:db8:251:2::$i/128"; done
    cat <<EOC
  neighbor $COL6 activate
 exit-address-family
exit
EOC
  } > "$d/bgpd.conf"
  {
    echo "router bgp $SPK_AS"
    echo " address-family ipv4 unicast"
    for i in 100 101 102 103; do echo "  no network 198.51.100.$i/32"; done
    echo " exit-address-family"
    echo " address-family ipv6 unicast"
    for i in 0 1 2 3; do echo "  no network 2001:db8:251:2::$i/128"; done
    echo " exit-address-family"
    echo "exit"
  } > "$d/withdraw.vtysh"
  chown frr:frr "$d"/*
}
spk_start() {
  local d=$RUN/frr
  ip netns exec "$NS_SPK" "$FRR_DIR/zebra" -u frr -g frr -P 0 --vty_socket "$d" -f "$d/zebra.conf" \
    -i "$d/zebra.pid" -z "$d/zserv.api" --log "file:$d/zebra.log" >"$RUN/zebra.out" 2>&1 &
  ZEBRA_PID=$!; track "$ZEBRA_PID"
  wait_until 10 test -S "$d/zserv.api" || log "frr: zebra did not create its socket: $(tail -3 "$RUN/zebra.out")"
  ip netns exec "$NS_SPK" "$FRR_DIR/bgpd" -u frr -g frr -P 0 -p 0 --vty_socket "$d" -f "$d/bgpd.conf" \
    -i "$d/bgpd.pid" -z "$d/zserv.api" --log "file:$d/bgpd.log" >"$RUN/speaker.out" 2>&1 &
  SPK_PID=$!; track "$SPK_PID"
}
spk_refresh() {
  frr_vtysh -c "clear bgp ipv4 unicast $COL4 soft in" >/dev/null
  frr_vtysh -c "clear bgp ipv6 unicast $COL6 soft in" >/dev/null
}
spk_withdraw() { timeout 20 vtysh --vty_socket "$RUN/frr" -H /dev/null -d bgpd -f "$RUN/frr/withdraw.vtysh" >/dev/null; }
spk_shutdown_comm() {
  frr_vtysh -c "configure terminal" -c "router bgp $SPK_AS" \
    -c "neighbor $COL4 shutdown message $SHUT_MSG_SPK" >/dev/null
}
spk_stop() { stop_pid "$SPK_PID"; stop_pid "$ZEBRA_PID"; }
