#!/usr/bin/env python3
"""Turn capture.sh runs into JSON BGP message vectors (test/vectors/README.md).

  pcap2json.py --out DIR RUNDIR...

Each RUNDIR holds capture.pcap, manifest.json (sessions, addresses, who is
which implementation) and phases.txt (scenario timeline). For every BGP
message in the pcap (TCP reassembled per direction) this script

  * decodes it with its own small decoder (below) -> `expect`;
  * decodes it again with tshark's BGP dissector and compares type, length
    and the `expect` fields; any disagreement is reported and the run fails
    (tshark 4.0 refuses messages longer than 4096 octets, RFC 8654; those
    are checked by the own decoder only, and the vector's `source` says so);
  * derives `context` (fourOctetAs / extendedMessage from the two OPENs of
    that TCP connection, peerType from the manifest);
  * attributes it to the implementation that sent it (by source address).

Identical messages are kept once per implementation. KEEPALIVEs are kept
once; UPDATEs are thinned to one per distinct shape (session, attribute
codes, MP families, next-hop count, AS_PATH segment types, ORIGIN, the
non-bulk prefixes of small UPDATEs, end-of-RIB, over 4096 octets) plus the
largest UPDATE of each session, so each file stays far below 1 MB.
Writes DIR/<impl>.json for every implementation that was a speaker in the
given runs (messages it sent as a collector in other runs are included).
"""
import argparse, collections, ipaddress, json, os, re, struct, subprocess, sys

NAMES = {'bird': ('BIRD', 'bird2'), 'frr': ('FRR', 'frr'),
         'gobgp': ('GoBGP', 'gobgpd'), 'exabgp': ('ExaBGP', 'exabgp')}
TYPES = {1: 'OPEN', 2: 'UPDATE', 3: 'NOTIFICATION', 4: 'KEEPALIVE', 5: 'ROUTE-REFRESH'}
SESSION_TEXT = {
    'ebgp4': 'eBGP over IPv4',
    'ebgp6': ('eBGP over IPv6 on a shared link (IPv6 unicast; IPv4 unicast with extended next hop), '
              'speaker local AS 4200000001'),
    'ibgp4': 'iBGP over IPv4, collector hold time 6 s, collector without extended messages',
    'as2': ('eBGP over IPv4, collector without 4-octet AS support (BIRD enable as4 off) '
            'and without extended messages'),
    'badas': ('eBGP over IPv4 where the speaker is configured with peer AS 65099 but the collector '
              'is AS 65000 (OPEN error: Bad Peer AS)'),
}
# bulk and withdraw sets: prefixes that do not make an UPDATE "special"
BULK = [ipaddress.ip_network(p) for p in ('100.64.0.0/16', '2001:db8:251::/64',
                                          '198.51.100.100/30', '2001:db8:251:2::/64')]


# ------------------------------------------------------------------ pcap + TCP
def packets(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack('<I', data[:4])[0]
    e = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    magic = struct.unpack(e + 'I', data[:4])[0]
    nano = magic == 0xa1b23c4d
    linktype = struct.unpack(e + 'I', data[20:24])[0]
    if linktype != 1:
        raise SystemExit('%s: linktype %d, expected Ethernet' % (path, linktype))
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + 'IIII', data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        off += incl
        t = sec + frac / (1e9 if nano else 1e6)
        if len(pkt) < 14:
            continue
        et = struct.unpack('!H', pkt[12:14])[0]
        ip = pkt[14:]
        if et == 0x0800 and len(ip) >= 20 and ip[9] == 6:
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack('!H', ip[2:4])[0] or len(ip)
            src, dst = ipaddress.ip_address(ip[12:16]), ipaddress.ip_address(ip[16:20])
            yield t, src, dst, ip[ihl:tot]
        elif et == 0x86dd and len(ip) >= 40 and ip[6] == 6:
            plen = struct.unpack('!H', ip[4:6])[0]
            src, dst = ipaddress.ip_address(ip[8:24]), ipaddress.ip_address(ip[24:40])
            yield t, src, dst, ip[40:40 + plen]


def bgp_messages(path):
    """[(t, src, sport, dst, dport, index_in_direction, bytes)] in capture order."""
    streams, out = {}, []
    for t, src, dst, tcp in packets(path):
        if len(tcp) < 20:
            continue
        sport, dport, seq = struct.unpack('!HHI', tcp[:8])
        if 179 not in (sport, dport):
            continue
        flags, thl = tcp[13], (tcp[12] >> 4) * 4
        payload = tcp[thl:]
        key = (str(src), sport, str(dst), dport)
        st = streams.get(key)
        if flags & 0x02:                               # SYN: a new connection
            streams[key] = {'next': (seq + 1) & 0xffffffff, 'buf': b'', 'n': 0, 'gap': False}
            continue
        if st is None or not payload or st['gap']:
            continue
        d = (seq - st['next']) & 0xffffffff
        if d >= 0x80000000:                            # retransmission / overlap
            skip = (st['next'] - seq) & 0xffffffff
            if skip >= len(payload):
                continue
            payload = payload[skip:]
        elif d > 0:                                    # hole: stop decoding this direction
            print('warning: capture gap in %s' % (key,), file=sys.stderr)
            st['gap'] = True
            continue
        st['next'] = (st['next'] + len(payload)) & 0xffffffff
        buf, i = st['buf'] + payload, 0
        while len(buf) - i >= 19:
            mlen = struct.unpack('!H', buf[i + 16:i + 18])[0]
            if mlen < 19 or len(buf) - i < mlen:
                break
            out.append((t, key[0], key[1], key[2], key[3], st['n'], buf[i:i + mlen]))
            st['n'] += 1
            i += mlen
        st['buf'] = buf[i:]
    return out


# ------------------------------------------------------------------ own decoder
def prefixes(b, afi):
    out, i = [], 0
    size = 4 if afi == 1 else 16
    while i < len(b):
        plen = b[i]
        n = (plen + 7) // 8
        raw = b[i + 1:i + 1 + n]
        if plen > size * 8 or len(raw) < n:
            raise ValueError('bad prefix')
        addr = ipaddress.ip_address(bytes(raw) + bytes(size - n))
        out.append(str(ipaddress.ip_network('%s/%d' % (addr, plen), strict=False)))
        i += 1 + n
    return out


def next_hops(b, afi):
    if len(b) in (16, 32):
        return [str(ipaddress.IPv6Address(b[k:k + 16])) for k in range(0, len(b), 16)]
    if len(b) == 4:
        return [str(ipaddress.IPv4Address(b))]
    raise ValueError('next hop length %d' % len(b))


def as_path(v, four):
    size, segs, i = (4 if four else 2), [], 0
    while i < len(v):
        st, n = v[i], v[i + 1]
        asns = [int.from_bytes(v[i + 2 + k * size:i + 2 + (k + 1) * size], 'big') for k in range(n)]
        segs.append(({1: 'set', 2: 'seq', 3: 'confed-seq', 4: 'confed-set'}.get(st, st), asns))
        i += 2 + n * size
    if i != len(v):
        raise ValueError('AS_PATH length')
    return segs


def decode(msg, four=True):
    """Decoded summary: the README `expect` fields plus a few details (under 'x')."""
    if msg[:16] != b'\xff' * 16:
        raise ValueError('marker')
    mlen, mtype = struct.unpack('!HB', msg[16:19])
    body = msg[19:mlen]
    r = {'type': TYPES.get(mtype, mtype)}
    x = {}
    if mtype == 1:
        ver, myas, hold = struct.unpack('!BHH', body[:5])
        r.update(version=ver, myAs=myas, holdTime=hold, bgpId=str(ipaddress.IPv4Address(body[5:9])))
        olen, p, caps, capdata = body[9], 10, [], {}
        end = 10 + olen
        while p < end:
            ptype, plen = body[p], body[p + 1]
            val = body[p + 2:p + 2 + plen]
            if ptype == 2:
                q = 0
                while q < len(val):
                    c, cl = val[q], val[q + 1]
                    caps.append(c)
                    capdata.setdefault(c, []).append(val[q + 2:q + 2 + cl].hex())
                    q += 2 + cl
            p += 2 + plen
        r['capabilities'] = caps
        x['caps'] = capdata
    elif mtype == 2:
        wl = struct.unpack('!H', body[:2])[0]
        r['withdrawn'] = prefixes(body[2:2 + wl], 1)
        al = struct.unpack('!H', body[2 + wl:4 + wl])[0]
        attrs, p, a = [], 4 + wl, body[4 + wl:4 + wl + al]
        r['nlri'] = prefixes(body[4 + wl + al:], 1)
        q, det = 0, {}
        while q < len(a):
            fl, code = a[q], a[q + 1]
            if fl & 0x10:
                ln, hl = struct.unpack('!H', a[q + 2:q + 4])[0], 4
            else:
                ln, hl = a[q + 2], 3
            v = a[q + hl:q + hl + ln]
            if len(v) != ln:
                raise ValueError('attribute overrun')
            attrs.append(code)
            det.setdefault(code, (fl, v))
            if code == 14:
                afi, safi, nhl = struct.unpack('!HBB', v[:4])
                r['mpReach'] = {'afi': afi, 'safi': safi,
                                'nextHops': next_hops(v[4:4 + nhl], afi),
                                'nlri': prefixes(v[5 + nhl:], afi)}
            elif code == 15:
                afi, safi = struct.unpack('!HB', v[:3])
                r['mpUnreach'] = {'afi': afi, 'safi': safi, 'withdrawn': prefixes(v[3:], afi)}
            elif code == 2:
                x['asPath'] = as_path(v, four)
            elif code == 17:
                x['as4Path'] = as_path(v, True)
            elif code == 1:
                x['origin'] = v[0]
            q += hl + ln
        r['attributes'] = attrs
        x['flags'] = {c: f for c, (f, _) in det.items()}
        if not r['withdrawn'] and not r['nlri'] and not attrs:
            r['endOfRib'] = {'afi': 1, 'safi': 1}
        elif (not r['withdrawn'] and not r['nlri'] and attrs == [15]
              and not r['mpUnreach']['withdrawn']):
            r['endOfRib'] = {'afi': r['mpUnreach']['afi'], 'safi': r['mpUnreach']['safi']}
    elif mtype == 3:
        r.update(code=body[0], subcode=body[1], data=body[2:].hex())
        if body[0] == 6 and body[1] in (2, 4) and len(body) > 2:
            n = body[2]
            if n and len(body) == 3 + n:
                r['shutdownCommunication'] = body[3:3 + n].decode('utf-8')
    elif mtype == 5:
        afi, sub, safi = struct.unpack('!HBB', body[:4])
        r.update(afi=afi, safi=safi, subtype=sub)
    elif mtype != 4:
        raise ValueError('unknown type %d' % mtype)
    if mlen != len(msg):
        raise ValueError('length')
    return r, x


# ------------------------------------------------------------------ tshark
PFX = re.compile(r'^[0-9a-fA-F:.]+/\d+$')


def tshark_messages(pcap):
    """{(src, sport, dst, dport): [summary per BGP message, in order]}"""
    try:
        out = subprocess.run(['tshark', '-r', pcap, '-Y', 'bgp', '-T', 'json', '-o',
                              'tcp.desegment_tcp_streams:TRUE'],
                             capture_output=True, check=True, timeout=300).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise SystemExit('tshark failed: %s' % e)
    frames = json.loads(out, object_pairs_hook=lambda p: p)
    res = collections.defaultdict(list)
    for fr in frames:
        layers = dict(dict(fr)['_source'])['layers']
        lay = {}
        for k, v in layers:
            lay.setdefault(k, []).append(v)
        ipl = dict(lay.get('ip', lay.get('ipv6', [[]]))[0])
        src = ipl.get('ip.src') or ipl.get('ipv6.src')
        dst = ipl.get('ip.dst') or ipl.get('ipv6.dst')
        tcp = dict(lay['tcp'][0])
        key = (str(ipaddress.ip_address(src)), int(tcp['tcp.srcport']),
               str(ipaddress.ip_address(dst)), int(tcp['tcp.dstport']))
        for m in lay.get('bgp', []):
            res[key].append(tshark_summary(m))
    return res


def walk(node, path=()):
    """yield (path_of_keys, key, value) for scalar leaves and subtree keys."""
    for k, v in node:
        if isinstance(v, list) and v and isinstance(v[0], tuple):
            yield path, k, None
            yield from walk(v, path + (k,))
        elif isinstance(v, list):
            for e in v:
                if isinstance(e, list):
                    yield path, k, None
                    yield from walk(e, path + (k,))
                else:
                    yield path, k, e
        else:
            yield path, k, v


def tshark_summary(m):
    d = dict(m)
    s = {'length': int(d['bgp.length'])}
    if 'bgp.type' not in d:
        s['invalid'] = True
        return s
    t = int(d['bgp.type'])
    s['type'] = TYPES.get(t, t)
    if t == 1:
        s.update(version=int(d['bgp.open.version']), myAs=int(d['bgp.open.myas']),
                 holdTime=int(d['bgp.open.holdtime']), bgpId=d['bgp.open.identifier'],
                 capabilities=[int(v) for _, k, v in walk(m) if k == 'bgp.cap.type'])
    elif t == 2:
        s['withdrawn'], s['nlri'], s['attributes'] = [], [], []
        cur = None
        for path, k, v in walk(m):
            if k == 'bgp.update.path_attribute.type_code':
                cur = int(v)
                s['attributes'].append(cur)
            elif v is None and PFX.match(k):
                net = str(ipaddress.ip_network(k, strict=False))
                if 'bgp.update.withdrawn_routes' in path:
                    s['withdrawn'].append(net)
                elif 'bgp.update.nlri' in path:
                    s['nlri'].append(net)
                elif cur == 14:
                    s['mpReach']['nlri'].append(net)
                elif cur == 15:
                    s['mpUnreach']['withdrawn'].append(net)
            elif k == 'bgp.update.path_attribute.mp_reach_nlri.afi':
                s['mpReach'] = {'afi': int(v), 'nextHops': [], 'nlri': []}
            elif k == 'bgp.update.path_attribute.mp_reach_nlri.safi':
                s['mpReach']['safi'] = int(v)
            elif k.startswith('bgp.update.path_attribute.mp_reach_nlri.next_hop.') and v:
                s['mpReach']['nextHops'].append(str(ipaddress.ip_address(v)))
            elif k == 'bgp.update.path_attribute.mp_unreach_nlri.afi':
                s['mpUnreach'] = {'afi': int(v), 'withdrawn': []}
            elif k == 'bgp.update.path_attribute.mp_unreach_nlri.safi':
                s['mpUnreach']['safi'] = int(v)
    elif t == 3:
        s['code'] = int(d['bgp.notify.major_error'])
        for k, v in m:
            if k.startswith('bgp.notify.minor_') and 'subcode' not in s and str(v).isdigit():
                s['subcode'] = int(v)
        for _, k, v in walk(m):
            if k == 'bgp.notify.communication' and v is not None:
                s['shutdownCommunication'] = v
            elif k == 'bgp.notify.minor_data' and v is not None:
                s['data'] = v.replace(':', '').lower()
    elif t == 5:
        s.update(afi=int(d['bgp.route_refresh.afi']), safi=int(d['bgp.route_refresh.safi']),
                 subtype=int(d.get('bgp.route_refresh.subtype', 0)))
    return s


def crosscheck(own, ts, mlen):
    """list of disagreements between our summary and tshark's"""
    if ts.get('invalid'):
        return None if mlen > 4096 else ['tshark: invalid message']
    bad = []
    if ts['length'] != mlen:
        bad.append('length %s != %s' % (ts['length'], mlen))
    for k, v in ts.items():
        if k in ('length',):
            continue
        if k in ('mpReach', 'mpUnreach'):
            o = own.get(k, {})
            for kk, vv in v.items():
                if o.get(kk) != vv:
                    bad.append('%s.%s: tshark %r, ours %r' % (k, kk, vv, o.get(kk)))
        elif own.get(k) != v:
            bad.append('%s: tshark %r, ours %r' % (k, str(v)[:200], str(own.get(k))[:200]))
    for k in ('mpReach', 'mpUnreach'):
        if k in own and k not in ts:
            bad.append('%s missing in tshark' % k)
    return bad


# ------------------------------------------------------------------ vectors
def rfc_of(e, x, ctx, mlen):
    t = e['type']
    if t == 'OPEN':
        return 'RFC 6793 §4.2.1' if e['myAs'] == 23456 else 'RFC 4271 §4.2'
    if t == 'KEEPALIVE':
        return 'RFC 4271 §4.4'
    if t == 'ROUTE-REFRESH':
        return 'RFC 7313 §3.2' if e['subtype'] else 'RFC 2918 §3'
    if t == 'NOTIFICATION':
        if e.get('shutdownCommunication'):
            return 'RFC 9003 §2'
        return {4: 'RFC 4271 §6.5', 2: 'RFC 4271 §6.2', 1: 'RFC 4271 §6.1',
                3: 'RFC 4271 §6.3'}.get(e['code'], 'RFC 4486 §4')
    if 'endOfRib' in e:
        return 'RFC 4724 §2'
    if mlen > 4096:
        return 'RFC 8654 §4'
    if 17 in e['attributes'] or 18 in e['attributes']:
        return 'RFC 6793 §4.2.2'
    mp = e.get('mpReach')
    if mp and mp['afi'] == 1 and ':' in mp['nextHops'][0]:
        return 'RFC 8950 §3'
    if mp and len(mp['nextHops']) == 2:
        return 'RFC 2545 §3'
    if mp:
        return 'RFC 4760 §3'
    if 'mpUnreach' in e:
        return 'RFC 4760 §4'
    if 32 in e['attributes']:
        return 'RFC 8092 §3'
    return 'RFC 4271 §4.3'


def shape(e, x, sess, mlen):
    pfx = (e.get('nlri', []) + e.get('withdrawn', [])
           + e.get('mpReach', {}).get('nlri', []) + e.get('mpUnreach', {}).get('withdrawn', []))
    special = frozenset(p for p in pfx if len(pfx) <= 8 and
                        not any(ipaddress.ip_network(p).subnet_of(b) for b in BULK
                                if ipaddress.ip_network(p).version == b.version))
    mp = e.get('mpReach')
    segs = tuple(s for s, _ in x.get('asPath', []))
    return (sess, tuple(e['attributes']), bool(e['withdrawn']), bool(e['nlri']),
            (mp['afi'], len(mp['nextHops']), bool(mp['nlri'])) if mp else None,
            (e['mpUnreach']['afi'], bool(e['mpUnreach']['withdrawn'])) if 'mpUnreach' in e else None,
            'endOfRib' in e, mlen > 4096, segs, x.get('origin'), special)


def phase_at(phases, t):
    cur = 'session start'
    for pt, text in phases:
        if pt <= t:
            cur = text
    return cur


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('runs', nargs='+')
    a = ap.parse_args()

    per_impl = collections.defaultdict(list)     # impl -> [(t, candidate dict)]
    speakers, meta, failures = [], {}, 0
    for rd in a.runs:
        man = json.load(open(os.path.join(rd, 'manifest.json')))
        speakers.append(man['run'])
        meta.update(man['impls'])
        phases = []
        if os.path.exists(os.path.join(rd, 'phases.txt')):
            for line in open(os.path.join(rd, 'phases.txt')):
                t, text = line.rstrip('\n').split(' ', 1)
                phases.append((float(t), text))
        by_addr = {}
        for s in man['sessions']:
            by_addr[(s['a']['addr'], s['b']['addr'])] = (s, 'a', 'b')
            by_addr[(s['b']['addr'], s['a']['addr'])] = (s, 'b', 'a')
        pcap = os.path.join(rd, man['pcap'])
        msgs = bgp_messages(pcap)
        ts = tshark_messages(pcap)
        # OPENs per TCP connection -> negotiated context
        opens = collections.defaultdict(dict)
        for t, src, sp, dst, dp, n, raw in msgs:
            if raw[18] == 1:
                e, _ = decode(raw)
                conn = frozenset([(src, sp), (dst, dp)])
                opens[conn][src] = set(e['capabilities'])
        checked = unchecked = 0
        for t, src, sp, dst, dp, n, raw in msgs:
            norm = (str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst)))
            if norm not in by_addr:
                print('warning: %s -> %s is not a known session' % norm, file=sys.stderr)
                continue
            sess, me, peer = by_addr[norm]
            conn = frozenset([(src, sp), (dst, dp)])
            caps = list(opens[conn].values())
            ctx = {'fourOctetAs': bool(caps) and all(65 in c for c in caps),
                   'extendedMessage': len(caps) == 2 and all(6 in c for c in caps),
                   'peerType': sess['peerType']}
            try:
                e, x = decode(raw, ctx['fourOctetAs'])
            except (ValueError, IndexError, UnicodeDecodeError) as err:
                print('error: own decoder failed on %s: %s' % (raw.hex()[:80], err), file=sys.stderr)
                failures += 1
                continue
            tlist = ts.get((src, sp, dst, dp), [])
            note = ''
            if n < len(tlist):
                bad = crosscheck(e, tlist[n], len(raw))
                if bad is None:
                    note = '; tshark 4.0 rejects messages over 4096 octets: checked by the capture decoder only'
                    unchecked += 1
                elif bad:
                    print('MISMATCH %s %s#%d: %s' % (sess['name'], src, n, '; '.join(bad)), file=sys.stderr)
                    failures += 1
                    continue
                else:
                    checked += 1
            else:
                print('MISMATCH %s %s#%d: tshark did not see this message' % (sess['name'], src, n),
                      file=sys.stderr)
                failures += 1
                continue
            if e['type'] == 'OPEN':
                ctx['localAs'] = sess[peer]['as']
                ctx['peerAs'] = sess[me]['as']
            impl = sess[me]['impl']
            other = sess[peer]['impl']
            label, pkg = NAMES[impl]
            src_text = ('%s %s (Debian %s), sent to %s %s (Debian %s); session %s: %s; '
                        'scenario: %s; run "%s" of test/vectors/capture/capture.sh, captured %s%s'
                        % (label, meta[impl], pkg, NAMES[other][0], meta[other], NAMES[other][1],
                           sess['name'], SESSION_TEXT.get(sess['name'], ''), phase_at(phases, t),
                           man['run'], man['date'], note))
            per_impl[impl].append({'t': t, 'run': man['run'], 'sess': sess['name'], 'raw': raw,
                                   'e': e, 'x': x, 'ctx': ctx, 'source': src_text})
        print('%s: %d messages, %d cross-checked with tshark, %d too long for tshark'
              % (rd, len(msgs), checked, unchecked), file=sys.stderr)
    if failures:
        raise SystemExit('%d message(s) failed decoding or the tshark cross-check' % failures)

    os.makedirs(a.out, exist_ok=True)
    for impl in sorted(set(speakers)):
        seen, shapes, vecs, counts = set(), collections.Counter(), [], collections.Counter()
        kept_keepalive = False
        largest = {}
        cands = per_impl[impl]
        for c in cands:
            if c['e']['type'] == 'UPDATE':
                k = (c['run'], c['sess'])
                if k not in largest or len(c['raw']) > len(largest[k]['raw']):
                    largest[k] = c
        for c in cands:
            h = c['raw'].hex()
            if h in seen:
                continue
            e = c['e']
            if e['type'] == 'KEEPALIVE':
                if kept_keepalive:
                    continue
                kept_keepalive = True
            if e['type'] == 'UPDATE':
                sh = (c['run'],) + shape(e, c['x'], c['sess'], len(c['raw']))
                if shapes[sh] >= 1 and largest.get((c['run'], c['sess'])) is not c:
                    continue
                shapes[sh] += 1
            seen.add(h)
            counts[e['type']] += 1
            tname = e['type'].lower()
            v = {'id': '%s-%s-%d' % (impl, tname, counts[e['type']]),
                 'rfc': rfc_of(e, c['x'], c['ctx'], len(c['raw'])),
                 'source': c['source'], 'hex': h, 'context': c['ctx'], 'expect': e}
            vecs.append(v)
        label, pkg = NAMES[impl]
        doc = {
            'description': ('BGP messages sent by %s, captured on the wire (veth in a network namespace) '
                            'by test/vectors/capture/capture.sh; expect built by the capture decoder '
                            '(pcap2json.py) and cross-checked against the tshark BGP dissector.' % label),
            'source': '%s %s (Debian package %s); test/vectors/capture/capture.sh + pcap2json.py; '
                      'tshark %s' % (label, meta.get(impl, '?'), pkg, tshark_version()),
            'vectors': vecs,
        }
        path = os.path.join(a.out, impl + '.json')
        text = json.dumps(doc, indent=1, ensure_ascii=False) + '\n'
        while len(text.encode()) > 1_000_000:
            ups = [v for v in vecs if v['expect']['type'] == 'UPDATE']
            big = max(ups, key=lambda v: len(v['hex']))
            vecs.remove(big)
            text = json.dumps(doc, indent=1, ensure_ascii=False) + '\n'
        with open(path, 'w') as f:
            f.write(text)
        bytype = collections.Counter(v['expect']['type'] for v in vecs)
        print('%s: %d vectors %s (%d bytes)' % (path, len(vecs), dict(bytype), len(text.encode())),
              file=sys.stderr)


def tshark_version():
    try:
        out = subprocess.run(['tshark', '--version'], capture_output=True, timeout=30).stdout.decode()
        return out.split('\n')[0].split()[-1].rstrip('.')
    except (OSError, subprocess.SubprocessError, IndexError):
        return '?'


if __name__ == '__main__':
    main()
