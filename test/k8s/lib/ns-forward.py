#!/usr/bin/python3
"""Forwards TCP from 127.0.0.1:LISTEN in this network namespace to 127.0.0.1:TARGET in another.

Usage: ns-forward.py LISTEN TARGET_NETNS_PATH TARGET

Started inside a test namespace (ip netns exec), it binds its listener there first, then
moves itself into the target namespace (setns(2) through ctypes: os.setns needs Python 3.12)
so that every connection it opens from then on is made there, to that namespace's loopback.
Loopback to loopback: the test API server stays on 127.0.0.1, and speakers running inside
network namespaces reach it as 127.0.0.1:LISTEN. It prints "ready" once both ends are set.
"""
import ctypes
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass


def main():
    listen_port, target_ns, target_port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(128)
    fd = os.open(target_ns, os.O_RDONLY)
    if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
        sys.exit(f"setns {target_ns}: errno {ctypes.get_errno()}")
    os.close(fd)
    print("ready", flush=True)
    while True:
        client, _ = srv.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", target_port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            continue
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()


main()
