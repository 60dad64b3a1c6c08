#!/usr/bin/env python3
"""Helper of l2-capture.sh.

  send CASE ...   sends one crafted NS/NA frame from namespace A (see CASES).
  convert ...     turns the step pcaps into test/vectors/l2/captured.json.

The decoder here is written from the RFCs independently of protocol/l2 (struct + ipaddress),
so the vectors' expected values are a second opinion, not a copy of the TypeScript.
"""
import argparse, ipaddress, json, os, socket, struct, sys

IPPROTO_ICMPV6 = 58
IPV6_UNICAST_HOPS, IPV6_MULTICAST_HOPS = 16, 18
SO_BINDTODEVICE = 25


def sn(addr):  # RFC 4291 2.7.1 solicited-node group
    a = ipaddress.IPv6Address(addr).packed
    return str(ipaddress.IPv6Address(bytes.fromhex("ff0200000000000000000001ff") + a[13:]))


def mac_bytes(m):
    return bytes.fromhex(m.replace(":", ""))


def checksum(src, dst, nh, data):  # RFC 8200 8.1 pseudo-header + RFC 1071 sum
    pseudo = ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed
    pseudo += struct.pack("!IxxxB", len(data), nh)
    b = pseudo + data + (b"\0" if len(data) % 2 else b"")
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ns_body(target, opts=b"", code=0, typ=135, flags=0):
    return struct.pack("!BBHI", typ, code, 0, flags) + ipaddress.IPv6Address(target).packed + opts


def lla(t, mac):
    return bytes([t, 1]) + mac_bytes(mac)


# CASES: name -> (how, builder). "raw": raw ICMPv6 socket, the kernel fills the checksum.
# "packet": AF_PACKET, whole frame built here. Builders get the parsed args.
CASES = {
    "ns-unicast": ("raw", lambda a: (a.src, a.dst, 255, ns_body(a.target, lla(1, a.mac)))),
    "ns-unicast-no-slla": ("raw", lambda a: (a.src, a.dst, 255, ns_body(a.target))),
    "ns-nonce-option": ("raw", lambda a: (a.src, sn(a.target), 255,
                                          ns_body(a.target, lla(1, a.mac) + bytes([14, 1]) + b"l2cap!"))),
    "ns-hop-limit-64": ("raw", lambda a: (a.src, sn(a.target), 64, ns_body(a.target, lla(1, a.mac)))),
    "ns-code-1": ("raw", lambda a: (a.src, sn(a.target), 255, ns_body(a.target, lla(1, a.mac), code=1))),
    "ns-option-length-zero": ("raw", lambda a: (a.src, sn(a.target), 255, ns_body(a.target, bytes([1, 0]) + mac_bytes(a.mac)))),
    "ns-target-multicast": ("raw", lambda a: (a.src, "ff02::1", 255, ns_body("ff02::1", lla(1, a.mac)))),
    "ns-short": ("raw", lambda a: (a.src, sn(a.target), 255, ns_body(a.target)[:20])),
    "ns-all-nodes-destination": ("raw", lambda a: (a.src, "ff02::1", 255, ns_body(a.target, lla(1, a.mac)))),
    "na-unsolicited": ("raw", lambda a: (a.src, "ff02::1", 255, ns_body(a.src, lla(2, a.mac), typ=136, flags=0x20000000))),
    "ns-dad": ("packet", lambda a: ("::", sn(a.target), 255, ns_body(a.target), None, 58)),
    "ns-dad-slla": ("packet", lambda a: ("::", sn(a.target), 255, ns_body(a.target, lla(1, a.mac)), None, 58)),
    "ns-dad-unicast": ("packet", lambda a: ("::", a.dst, 255, ns_body(a.target), a.dstmac, 58)),
    "ns-bad-checksum": ("packet", lambda a: (a.src, a.dst, 255, ns_body(a.target, lla(1, a.mac)), a.dstmac, "bad")),
    "ns-hop-by-hop": ("packet", lambda a: (a.src, sn(a.target), 255, ns_body(a.target, lla(1, a.mac)), None, "hbh")),
}


def record(a, msg):  # what was sent (checksum zeroed), so convert can find the stimulus frame
    with open(a.record, "w") as f:
        f.write((msg[:2] + b"\0\0" + msg[4:]).hex())


def icmp_of(frame):  # the ICMPv6 message of an untagged IPv6 frame (after one HBH header), checksum zeroed
    if frame[12:14] != b"\x86\xdd":
        return None
    nh, plen, o = frame[20], struct.unpack("!H", frame[18:20])[0], 54
    end = 54 + plen
    if nh == 0:
        nh, o = frame[54], 54 + (frame[55] + 1) * 8
    if nh != 58 or o + 4 > end:
        return None
    m = frame[o:end]
    return (m[:2] + b"\0\0" + m[4:]).hex()


def send(a):
    how, build = CASES[a.case]
    ifindex = socket.if_nametoindex(a.ifname)
    if how == "raw":
        src, dst, hl, msg = build(a)
        record(a, msg)
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_ICMPV6)
        s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, a.ifname.encode())
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_UNICAST_HOPS, hl)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hl)
        scope = ifindex if ipaddress.IPv6Address(src).is_link_local else 0
        s.bind((src, 0, 0, scope))
        s.sendto(msg, (dst, 0, 0, ifindex))
        return
    src, dst, hl, msg, dstmac, mode = build(a)
    record(a, msg)
    c = checksum(src, dst, 58, msg)
    if mode == "bad":
        c ^= 0x5555
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    nh, payload = 58, msg
    if mode == "hbh":  # Hop-by-Hop header, RFC 8200 4.3: next 58, length 0, PadN of 4
        nh, payload = 0, bytes([58, 0, 1, 4, 0, 0, 0, 0]) + msg
    ip = struct.pack("!IHBB", 6 << 28, len(payload), nh, hl)
    ip += ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed
    d = ipaddress.IPv6Address(dst)
    emac = mac_bytes(dstmac) if dstmac else b"\x33\x33" + d.packed[12:]
    frame = emac + mac_bytes(a.mac) + b"\x86\xdd" + ip + payload
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.ifname, 0))
    s.send(frame)


# ---- convert ----

def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(end + "I", data[20:24])[0]
    assert linktype == 1, "expected DLT_EN10MB"
    out, o = [], 24
    while o + 16 <= len(data):
        _, _, incl, orig = struct.unpack(end + "IIII", data[o:o + 16])
        assert incl == orig, "truncated capture"
        out.append(data[o + 16:o + 16 + incl])
        o += 16 + incl
    return out


def fmt_mac(b):
    return ":".join("%02x" % x for x in b)


def decode(frame):
    d = {"ethernet": {"destination": fmt_mac(frame[0:6]), "source": fmt_mac(frame[6:12])}}
    et, o = struct.unpack("!H", frame[12:14])[0], 14
    if et == 0x8100:
        tci, et = struct.unpack("!HH", frame[14:18])
        d["ethernet"]["vlan"] = {"priority": tci >> 13, "dropEligible": bool(tci & 0x1000), "id": tci & 0xFFF}
        o = 18
    d["ethernet"]["etherType"] = et
    p = frame[o:]
    if et == 0x0806:
        hrd, pro, hln, pln, op = struct.unpack("!HHBBH", p[:8])
        assert (hrd, pro, hln, pln) == (1, 0x0800, 6, 4)
        d["arp"] = {"operation": op, "senderMac": fmt_mac(p[8:14]), "senderIp": str(ipaddress.IPv4Address(p[14:18])),
                    "targetMac": fmt_mac(p[18:24]), "targetIp": str(ipaddress.IPv4Address(p[24:28]))}
    elif et == 0x86DD:
        vtf, plen, nh, hl = struct.unpack("!IHBB", p[:8])
        src, dst = str(ipaddress.IPv6Address(p[8:24])), str(ipaddress.IPv6Address(p[24:40]))
        d["ipv6"] = {"source": src, "destination": dst, "hopLimit": hl, "nextHeader": nh, "payloadLength": plen,
                     "trafficClass": (vtf >> 20) & 0xFF, "flowLabel": vtf & 0xFFFFF}
        body = p[40:40 + plen]
        if nh == 58 and len(body) >= 4:
            d["icmpv6"] = {"type": body[0], "code": body[1], "checksumValid": checksum(src, dst, 58, body) == 0}
            if body[0] in (135, 136) and len(body) >= 24:
                nd = {"target": str(ipaddress.IPv6Address(body[8:24]))}
                if body[0] == 136:
                    f = body[4]
                    nd.update(router=bool(f & 0x80), solicited=bool(f & 0x40), override=bool(f & 0x20))
                opts, i, okopts = [], 24, True
                while i + 2 <= len(body):
                    t, ln = body[i], body[i + 1]
                    if ln == 0 or i + ln * 8 > len(body):
                        okopts = False
                        break
                    od = {"type": t, "length": ln}
                    if t in (1, 2) and ln == 1:
                        od["mac"] = fmt_mac(body[i + 2:i + 8])
                    opts.append(od)
                    i += ln * 8
                if okopts:
                    nd["options"] = opts
                d["ns" if body[0] == 135 else "na"] = nd
    return d


def bpf_accepts(frame):  # the rule of protocol/l2/bpf.ts, restated
    if len(frame) < 14:
        return False
    et = struct.unpack("!H", frame[12:14])[0]
    if et == 0x0806:
        return len(frame) >= 22 and struct.unpack("!H", frame[20:22])[0] == 1
    if et == 0x86DD:
        return len(frame) >= 55 and frame[20] == 58 and frame[54] == 135
    return False


# Intended RFC 4861 7.1.1 outcome of the crafted cases (the frame A sent in that step).
INVALID = {
    "ns-hop-limit-64": "hop-limit", "ns-code-1": "icmp-code", "ns-option-length-zero": "option-length-zero",
    "ns-target-multicast": "target-multicast", "ns-short": "icmp-length", "ns-dad-slla": "unspecified-source-slla",
    "ns-dad-unicast": "unspecified-source-destination", "ns-bad-checksum": "checksum",
    "ns-all-nodes-destination": "destination-mismatch",
}
RFC = {
    "ns-hop-limit-64": "RFC 4861 §7.1.1", "ns-code-1": "RFC 4861 §7.1.1", "ns-option-length-zero": "RFC 4861 §7.1.1",
    "ns-target-multicast": "RFC 4861 §7.1.1", "ns-short": "RFC 4861 §7.1.1", "ns-dad-slla": "RFC 4861 §7.1.1",
    "ns-dad-unicast": "RFC 4861 §7.1.1", "ns-bad-checksum": "RFC 4443 §2.3", "ns-all-nodes-destination": "RFC 4861 §4.3",
    "ns-dad": "RFC 4862 §5.4.3", "ns-hop-by-hop": "RFC 8200 §4.3", "garp-request": "RFC 5227 §3",
    "garp-reply": "RFC 5227 §3", "arp-vlan": "IEEE 802.1Q", "arp-probe": "RFC 5227 §2.1.1",
}
DIVERGES = {
    "ns-all-nodes-destination": "Linux answers an NS sent to ff02::1; we require the solicited-node group or the target (RFC 4861 §4.3)",
}


def expected_decision(d, step, b_mac, b_addrs, stimulus):
    e = d["ethernet"]
    if e["source"] == b_mac:
        return {"action": "ignore", "reason": "own-frame"}
    if "vlan" in e:
        return {"action": "ignore", "reason": "vlan-tagged"}
    if "arp" in d:
        a = d["arp"]
        if a["senderIp"] in b_addrs and a["senderMac"] != b_mac:
            return {"action": "ignore", "reason": "conflict"}
        if a["operation"] != 1:
            return {"action": "ignore", "reason": "not-arp-or-ns"}
        if e["destination"] not in ("ff:ff:ff:ff:ff:ff", b_mac):
            return {"action": "ignore", "reason": "not-for-us"}
        if a["targetIp"] not in b_addrs:
            return {"action": "ignore", "reason": "not-owned"}
        return {"action": "send", "kind": "arp-reply"}
    ip = d.get("ipv6")
    if ip is None or ip["nextHeader"] != 58 or d.get("icmpv6", {}).get("type") != 135:
        return {"action": "ignore", "reason": "not-arp-or-ns"}
    if stimulus and step in INVALID:
        return {"action": "ignore", "reason": "invalid", "invalid": INVALID[step]}
    dst = ip["destination"]
    ok = e["destination"] == b_mac or (dst.startswith("ff") and e["destination"] == "33:33:" + fmt_mac(ipaddress.IPv6Address(dst).packed[12:]))
    if not ok:
        return {"action": "ignore", "reason": "not-for-us"}
    if ip["source"] in b_addrs:
        return {"action": "ignore", "reason": "conflict"}
    if d["ns"]["target"] not in b_addrs:
        return {"action": "ignore", "reason": "not-owned"}
    return {"action": "send", "kind": "neighbor-advertisement"}


def tcpdump_lines(pcap):
    import subprocess
    r = subprocess.run(["tcpdump", "-r", pcap, "-nn", "-e", "-v", "-t"], capture_output=True, text=True, timeout=30)
    lines, cur = [], None
    for ln in r.stdout.splitlines():
        if ln.startswith((" ", "\t")) and cur is not None:
            lines[-1] += " " + ln.strip()
        else:
            lines.append(ln.strip())
            cur = ln
    return lines


def convert(a):
    b_addrs = set(a.b_addresses.split(","))
    steps = sorted(f[:-5] for f in os.listdir(a.work) if f.endswith(".pcap"))
    vectors, seen = [], {}
    for step in steps:
        pcap = os.path.join(a.work, step + ".pcap")
        frames = read_pcap(pcap)
        texts = tcpdump_lines(pcap)
        assert len(texts) == len(frames), (step, len(texts), len(frames))
        decoded = [decode(f) for f in frames]
        # The step's stimulus: the crafted frame, found by its ICMPv6 message.
        sent_path = os.path.join(a.work, step + ".sent")
        sent = open(sent_path).read().strip() if os.path.exists(sent_path) else None
        stim = next((j for j, (g, e) in enumerate(zip(frames, decoded))
                     if e["ethernet"]["source"] == a.a_mac and sent is not None and icmp_of(g) == sent), -1)
        assert sent is None or stim >= 0, "crafted frame of %s not captured" % step
        for i, (f, d) in enumerate(zip(frames, decoded)):
            h = f.hex()
            if h in seen:
                continue
            kind = "arp" if "arp" in d else ("ns" if "ns" in d else "na" if "na" in d else
                    "icmpv6-%d" % d["icmpv6"]["type"] if "icmpv6" in d else
                    "ipv6-nh%d" % d["ipv6"]["nextHeader"] if "ipv6" in d else "ethertype-%04x" % d["ethernet"]["etherType"])
            if kind == "arp":
                kind = "arp-request" if d["arp"]["operation"] == 1 else "arp-reply"
            vid = "%s-%s-%d" % (step, kind, i + 1)
            seen[h] = vid
            sender = "A (client)" if d["ethernet"]["source"] == a.a_mac else "B (Linux host)" if d["ethernet"]["source"] == a.b_mac else "?"
            v = {"id": vid, "rfc": RFC.get(step, {"arp-request": "RFC 826", "arp-reply": "RFC 826", "ns": "RFC 4861 §4.3",
                                                  "na": "RFC 4861 §4.4"}.get(kind, "RFC 4443 §2.1" if "icmpv6" in d else "RFC 894")),
                 "source": "l2-capture.sh step %s, frame %d, sent by %s; tcpdump: %s" % (step, i + 1, sender, texts[i]),
                 "hex": h}
            exp = dict(d)
            exp["filter"] = "accept" if bpf_accepts(f) else "reject"
            exp["decision"] = expected_decision(d, step, a.b_mac, b_addrs, i == stim)
            v["expected"] = exp
            # Did B's kernel answer a request A sent? (ARP request that is not gratuitous, or NS)
            if sender.startswith("A") and ("ns" in d or ("arp" in d and d["arp"]["operation"] == 1 and d["arp"]["senderIp"] != d["arp"]["targetIp"])):
                reply = None
                for g, e in zip(frames[i + 1:], decoded[i + 1:]):
                    if e["ethernet"]["source"] != a.b_mac:
                        continue
                    if "arp" in d and "arp" in e and e["arp"]["operation"] == 2 and e["arp"]["senderIp"] == d["arp"]["targetIp"]:
                        reply = g
                    if "ns" in d and "na" in e and e["na"]["target"] == d["ns"]["target"]:
                        reply = g
                    if reply is not None:
                        break
                v["linux"] = {"answered": reply is not None}
                if reply is not None:
                    v["linux"]["reply"] = reply.hex()
                if step in DIVERGES:
                    v["linux"]["divergence"] = DIVERGES[step]
            vectors.append(v)
    doc = {
        "description": "ARP and NDP frames captured with tcpdump on a veth pair between two network namespaces "
                       "(A = client 02:00:00:52:00:01, B = Linux host 02:00:00:52:00:02). expected.decision is what "
                       "protocol/l2 respond() must do when B's interface receives the frame with B's addresses; "
                       "linux records whether B's kernel answered a request from A, and its reply.",
        "source": "test/vectors/capture/l2-capture.sh (%s)" % a.tools,
        "interface": {"mac": a.b_mac, "linkLocal": a.b_link_local, "addresses": sorted(b_addrs)},
        "vectors": vectors,
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("%d vectors from %d steps" % (len(vectors), len(steps)), file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("case", choices=sorted(CASES))
    for k in ("ifname", "src", "dst", "target", "mac", "lla"):
        s.add_argument("--" + k, required=True)
    s.add_argument("--dstmac")
    s.add_argument("--record", required=True)
    c = sub.add_parser("convert")
    for k in ("work", "out", "a-mac", "b-mac", "b-addresses", "b-link-local", "tools"):
        c.add_argument("--" + k, required=True)
    a = p.parse_args()
    send(a) if a.cmd == "send" else convert(a)


if __name__ == "__main__":
    main()
