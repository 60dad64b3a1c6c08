#!/usr/bin/env python3
"""ExaBGP API process for capture.sh: copies lines from a FIFO to stdout.

ExaBGP runs this as `process ctl`; capture.sh writes API commands
("neighbor 10.251.1.2 announce route-refresh ipv4 unicast", ...) into the
FIFO. The FIFO is opened read-write so it never reports end-of-file, and
ExaBGP's acknowledgements on stdin are read and dropped.
"""
import os, sys, threading


def drain():
    try:
        for _ in sys.stdin:
            pass
    except (OSError, ValueError):
        pass


threading.Thread(target=drain, daemon=True).start()
fd = os.open(sys.argv[1], os.O_RDWR)
with os.fdopen(fd, 'r') as f:
    for line in f:
        sys.stdout.write(line)
        sys.stdout.flush()
