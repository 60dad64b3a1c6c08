# capture.sh driver: BIRD 2 as the speaker under test (sourced by capture.sh).
# Static routes exported over the four sessions; per-prefix attributes are set
# in the export filter. Withdrawals: the static protocols st4w/st6w go down.
spk_version() { pkg_version bird2; }
spk_prepare() {
  local f=$RUN/speaker.conf
  {
    echo "router id $SPK4;"
    echo "log \"$RUN/speaker.log\" all;"
    echo "protocol device { scan time 10; }"
    echo "protocol static st4 { ipv4;"
    python3 "$HERE/routes.py" v4bulk "$N4" | sed 's/^/  route /; s/$/ blackhole;/'
    for i in 1 2 3 4 5 6; do echo "  route 198.51.100.$i/32 blackhole;"; done
    echo "}"
    echo "protocol static st4w { ipv4;"
    for i in 100 101 102 103; do echo "  route 198.51.100.$i/32 blackhole;"; done
    echo "}"
    echo "protocol static st6 { ipv6;"
    python3 "$HERE/routes.py" v6bulk "$N6" | sed 's/^/  route /; s/$/ blackhole;/'
    echo "  route 2001:db8:251:1::1/128 blackhole;"
    echo "}"
    echo "protocol static st6w { ipv6;"
    for i in 0 1 2 3; do echo "  route 2001:db8:251:2::$i/128 blackhole;"; done
    echo "}"
    cat <<EOC
filter out4 {
  if net = 198.51.100.1/32 then {
    bgp_origin = ORIGIN_EGP; bgp_med = 50;
    bgp_community.add((65000,1)); bgp_large_community.add((65000,1,2));
    bgp_ext_community.add((rt, 65000, 100));
  }
  if net = 198.51.100.2/32 then {
    bgp_origin = ORIGIN_INCOMPLETE; bgp_path.prepend(65010); bgp_path.prepend(4200000005);
  }
  if net = 198.51.100.3/32 then { bgp_community.add((65535,65281)); }
  if net = 198.51.100.4/32 then { bgp_ext_community.add((ro, 65000, 7)); bgp_med = 0; }
  accept;
}
filter out6 {
  if net = 2001:db8:251:1::1/128 then { bgp_community.add((65000,6)); bgp_large_community.add((4200000001,6,6)); }
  accept;
}
template bgp spk {
  local as $SPK_AS;
  connect delay time 1;
  connect retry time 2;
  graceful restart on;
  long lived graceful restart on;
  enable extended messages on;
}
protocol bgp ebgp4 from spk {
  local $SPK4 as $SPK_AS;
  neighbor $COL4 as $COL_AS;
  ipv4 { import none; export filter out4; next hop self; add paths tx; };
}
protocol bgp ebgp6 from spk {
  local $SPK6 as $BIG_AS;
  neighbor $COL6 as $COL_AS;
  interface "$IF_SPK";
  ipv6 { import none; export filter out6; next hop self; };
  ipv4 { import none; export filter out4; next hop self; extended next hop on; };
}
protocol bgp ibgp4 from spk {
  local $SPKI as $SPK_AS;
  neighbor $COLI as $SPK_AS;
  ipv4 { import none; export filter out4; next hop self; };
}
protocol bgp as2 from spk {
  local $SPK2 as $SPK_AS;
  neighbor $COL2 as $COL_AS;
  ipv4 { import none; export filter out4; next hop self; };
}
protocol bgp badas from spk {
  local $SPKB as $SPK_AS;
  neighbor $COLB as $BAD_AS;
  ipv4 { import none; export none; };
}
EOC
  } > "$f"
}
spk_start() {
  ip netns exec "$NS_SPK" bird -f -c "$RUN/speaker.conf" -s "$RUN/speaker.ctl" \
    -P "$RUN/speaker.pid" >"$RUN/speaker.out" 2>&1 &
  SPK_PID=$!; track "$SPK_PID"
  wait_until 10 test -S "$RUN/speaker.ctl" || log "bird speaker: no control socket: $(tail -3 "$RUN/speaker.out")"
}
spkc() { timeout 10 birdc -s "$RUN/speaker.ctl" "$@"; }
spk_refresh() { spkc reload in ebgp4 >/dev/null; spkc reload in ebgp6 >/dev/null; }
spk_withdraw() { spkc disable st4w >/dev/null; spkc disable st6w >/dev/null; }
spk_shutdown_comm() { spkc disable ebgp4 "\"$SHUT_MSG_SPK\"" >/dev/null; }
spk_stop() { stop_pid "$SPK_PID"; }
