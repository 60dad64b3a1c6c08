#!/usr/bin/env python3
"""Route lists for the speaker drivers: routes.py KIND N
  v4bulk N   100.64.0.0/32 upwards          v6bulk N   2001:db8:251::/128 upwards
"""
import ipaddress, sys

kind, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
base = {'v4bulk': ipaddress.IPv4Address('100.64.0.0'),
        'v6bulk': ipaddress.IPv6Address('2001:db8:251::')}[kind]
plen = 32 if kind == 'v4bulk' else 128
for i in range(n):
    print('%s/%d' % (base + i, plen))
