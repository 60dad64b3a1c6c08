import assert from "node:assert/strict";
import { test } from "node:test";
import { IpAddress } from "../../../protocol/ip/index.ts";
import {
  AddressSet,
  ALL_NODES,
  ArpOperation,
  decodeArp,
  decodeEthernet,
  decodeIpv6,
  decodeNeighborAdvertisement,
  EtherType,
  encodeArp,
  encodeEthernet,
  encodeIcmpv6,
  encodeIpv6,
  encodeNeighborSolicitation,
  gratuitousArpFrames,
  type Ipv6Header,
  ipv6MulticastMac,
  type L2Interface,
  MacAddress,
  type NdpOption,
  type NeighborSolicitationInvalid,
  neighborFilter,
  neighborFilterBytes,
  respond,
  SOLICITED_OVERRIDE,
  solicitedNodeAddress,
  unsolicitedAdvertisementFrame,
  validateNeighborSolicitation,
} from "../../../protocol/l2/index.ts";
import { runBpf } from "./bpf-vm.ts";

const OUR = MacAddress.of("02:00:00:00:00:aa");
const PEER = MacAddress.of("02:00:00:00:00:bb");
const LL = IpAddress.of("fe80::aa");
const VIP6 = IpAddress.of("2001:db8::10");
const VIP4 = IpAddress.of("192.0.2.10");
const PEER6 = IpAddress.of("2001:db8::99");
const IFACE: L2Interface = { mac: OUR, linkLocal: LL, addresses: new AddressSet([VIP4, VIP6]) };
const SLLA: NdpOption = { kind: "link-layer-address", type: 1, mac: PEER };

interface NsSpec {
  source?: IpAddress;
  destination?: IpAddress;
  hopLimit?: number;
  code?: number;
  target?: IpAddress;
  options?: NdpOption[];
  body?: Uint8Array;
  ethDst?: MacAddress;
  ethSrc?: MacAddress;
}

function ns(s: NsSpec = {}): { header: Ipv6Header; icmp: Uint8Array; frame: Uint8Array } {
  const target = s.target ?? VIP6;
  const header: Ipv6Header = {
    trafficClass: 0,
    flowLabel: 0,
    nextHeader: 58,
    hopLimit: s.hopLimit ?? 255,
    source: s.source ?? PEER6,
    destination: s.destination ?? solicitedNodeAddress(target),
  };
  const body = s.body ?? encodeNeighborSolicitation({ target, options: s.options ?? [SLLA] });
  const icmp = encodeIcmpv6({ type: 135, code: s.code ?? 0, body }, header.source, header.destination);
  const dst = s.ethDst ?? ipv6MulticastMac(header.destination);
  const frame = encodeEthernet({
    destination: dst,
    source: s.ethSrc ?? PEER,
    etherType: EtherType.IPv6,
    payload: encodeIpv6(header, icmp),
  });
  return { header, icmp, frame };
}

function arpFrame(
  op: number,
  senderIp: IpAddress,
  targetIp: IpAddress,
  dst = MacAddress.BROADCAST,
  senderMac = PEER,
) {
  return encodeEthernet({
    destination: dst,
    source: senderMac,
    etherType: EtherType.ARP,
    payload: encodeArp({ operation: op, senderMac, senderIp, targetMac: MacAddress.ZERO, targetIp }),
  });
}

test("RFC 4861 §7.1.1: a well-formed NS is valid (multicast, unicast, DAD)", () => {
  for (const spec of [{}, { destination: VIP6, options: [] }, { source: IpAddress.of("::"), options: [] }]) {
    const p = ns(spec);
    const r = validateNeighborSolicitation(p.header, p.icmp);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
    assert.ok(r.value.target.equals(VIP6));
  }
});

test("RFC 4861 §7.1.1: each check has its typed reason", () => {
  const unspecified = IpAddress.of("::");
  const cases: [NeighborSolicitationInvalid, NsSpec | (() => { header: Ipv6Header; icmp: Uint8Array })][] = [
    ["hop-limit", { hopLimit: 64 }],
    ["icmp-code", { code: 1 }],
    ["icmp-length", { body: new Uint8Array(16) }],
    ["target-multicast", { target: ALL_NODES, destination: ALL_NODES }],
    [
      "option-length-zero",
      { body: Uint8Array.of(...new Uint8Array(4), ...VIP6.toBytes(), 1, 0, 0, 0, 0, 0, 0, 0) },
    ],
    [
      "option-overrun",
      { body: Uint8Array.of(...new Uint8Array(4), ...VIP6.toBytes(), 1, 2, 0, 0, 0, 0, 0, 0) },
    ],
    ["unspecified-source-destination", { source: unspecified, destination: VIP6, options: [] }],
    ["unspecified-source-slla", { source: unspecified }],
    ["destination-mismatch", { destination: ALL_NODES }],
    [
      "checksum",
      () => {
        const p = ns();
        const icmp = p.icmp.slice();
        icmp[2]! ^= 0xff;
        return { header: p.header, icmp };
      },
    ],
    [
      "not-neighbor-solicitation",
      () => {
        const p = ns();
        return { header: { ...p.header, nextHeader: 0 }, icmp: p.icmp };
      },
    ],
  ];
  for (const [reason, spec] of cases) {
    const p = typeof spec === "function" ? spec() : ns(spec);
    const r = validateNeighborSolicitation(p.header, p.icmp);
    assert.ok(!r.ok, reason);
    assert.equal(r.error, reason);
  }
});

test("respond: ARP request for an owned IPv4 → one reply from our MAC; gratuitous frames are ours", () => {
  const d = respond(arpFrame(1, IpAddress.of("192.0.2.1"), VIP4), IFACE);
  assert.ok(d.action === "send" && d.kind === "arp-reply" && d.address.equals(VIP4));
  const e = decodeEthernet(d.frames[0]!);
  assert.ok(e.ok && e.value.destination.equals(PEER) && e.value.source.equals(OUR));
  const a = decodeArp(e.value.payload);
  assert.ok(a.ok && a.value.operation === ArpOperation.Reply);
  assert.ok(a.value.senderMac.equals(OUR) && a.value.senderIp.equals(VIP4));
  assert.ok(a.value.targetMac.equals(PEER) && a.value.targetIp.equals(IpAddress.of("192.0.2.1")));
  // Unicast to our MAC is answered too (the requester refreshing its entry).
  assert.equal(respond(arpFrame(1, IpAddress.of("192.0.2.1"), VIP4, OUR), IFACE).action, "send");
  for (const f of gratuitousArpFrames(OUR, VIP4))
    assert.deepEqual(respond(f, IFACE), { action: "ignore", reason: "own-frame" });
});

test("respond: every reason for not answering", () => {
  const other4 = IpAddress.of("192.0.2.1");
  const reason = (f: Uint8Array) => {
    const d = respond(f, IFACE);
    return d.action === "ignore" ? [d.reason, d.invalid] : ["send"];
  };
  assert.deepEqual(reason(new Uint8Array(10)), ["malformed", undefined]);
  assert.deepEqual(reason(arpFrame(1, other4, VIP4).subarray(0, 30)), ["malformed", undefined]);
  assert.deepEqual(reason(arpFrame(1, other4, VIP4, MacAddress.BROADCAST, OUR)), ["own-frame", undefined]);
  const tagged = decodeEthernet(arpFrame(1, other4, VIP4));
  assert.ok(tagged.ok);
  assert.deepEqual(
    reason(encodeEthernet({ ...tagged.value, vlan: { priority: 0, dropEligible: false, id: 7 } })),
    ["vlan-tagged", undefined],
  );
  assert.deepEqual(reason(arpFrame(2, other4, VIP4)), ["not-arp-or-ns", undefined]);
  assert.deepEqual(reason(arpFrame(1, other4, VIP4, MacAddress.of("02:00:00:00:00:cc"))), [
    "not-for-us",
    undefined,
  ]);
  assert.deepEqual(reason(arpFrame(1, other4, IpAddress.of("192.0.2.11"))), ["not-owned", undefined]);
  const conflict = respond(arpFrame(1, VIP4, VIP4), IFACE);
  assert.ok(conflict.action === "ignore" && conflict.reason === "conflict");
  assert.ok(conflict.address?.equals(VIP4) && conflict.mac?.equals(PEER));
  assert.deepEqual(
    reason(arpFrame(2, VIP4, VIP4)),
    ["conflict", undefined],
    "another node's gratuitous reply",
  );
  assert.deepEqual(reason(ns({ hopLimit: 1 }).frame), ["invalid", "hop-limit"]);
  assert.deepEqual(reason(ns({ ethDst: MacAddress.of("33:33:ff:00:00:01") }).frame), [
    "not-for-us",
    undefined,
  ]);
  assert.deepEqual(reason(ns({ source: VIP6, target: VIP6 }).frame), ["conflict", undefined]);
  assert.deepEqual(reason(ns({ target: IpAddress.of("2001:db8::11") }).frame), ["not-owned", undefined]);
  // Answers come from the target itself, so an interface without a link-local still answers.
  assert.equal(respond(ns().frame, { ...IFACE, linkLocal: undefined }).action, "send");
  const echo = encodeEthernet({
    destination: OUR,
    source: PEER,
    etherType: EtherType.IPv6,
    payload: encodeIpv6(
      { trafficClass: 0, flowLabel: 0, nextHeader: 58, hopLimit: 64, source: PEER6, destination: VIP6 },
      encodeIcmpv6({ type: 128, code: 0, body: new Uint8Array(4) }, PEER6, VIP6),
    ),
  });
  assert.deepEqual(reason(echo), ["not-arp-or-ns", undefined]);
  assert.deepEqual(
    reason(
      encodeEthernet({ destination: OUR, source: PEER, etherType: 0x0800, payload: new Uint8Array(20) }),
    ),
    ["not-arp-or-ns", undefined],
  );
});

function naOf(frame: Uint8Array) {
  const e = decodeEthernet(frame);
  assert.ok(e.ok);
  const ip = decodeIpv6(e.value.payload);
  assert.ok(ip.ok);
  const na = decodeNeighborAdvertisement(ip.value.payload.subarray(4));
  assert.ok(na.ok);
  return { eth: e.value, ip: ip.value.header, na: na.value };
}

test("respond: NS → solicited NA (S = 1, O = SOLICITED_OVERRIDE = 1, R = 0) to the NS source and its SLLA", () => {
  assert.equal(SOLICITED_OVERRIDE, true);
  const d = respond(ns().frame, IFACE);
  assert.ok(d.action === "send" && d.kind === "neighbor-advertisement" && d.address.equals(VIP6));
  const { eth, ip, na } = naOf(d.frames[0]!);
  assert.ok(eth.destination.equals(PEER) && eth.source.equals(OUR));
  // From the target, as Linux answers for its own addresses (ndisc6 ignores anything else).
  assert.ok(ip.source.equals(VIP6) && ip.destination.equals(PEER6) && ip.hopLimit === 255);
  assert.deepEqual([na.router, na.solicited, na.override], [false, true, true]);
  assert.deepEqual(na.options, [{ kind: "link-layer-address", type: 2, mac: OUR }]);
  // Without an SLLA (unicast NUD probe) the answer goes to the frame's source MAC.
  const other = MacAddress.of("02:00:00:00:00:cc");
  const u = respond(ns({ destination: VIP6, options: [], ethDst: OUR, ethSrc: other }).frame, IFACE);
  assert.ok(u.action === "send");
  assert.ok(naOf(u.frames[0]!).eth.destination.equals(other));
});

test("respond: a DAD probe (source ::) for our address → NA with S = 0 to ff02::1 (RFC 4861 §7.2.4)", () => {
  const d = respond(ns({ source: IpAddress.of("::"), options: [] }).frame, IFACE);
  assert.ok(d.action === "send");
  const { eth, ip, na } = naOf(d.frames[0]!);
  assert.equal(eth.destination.toString(), "33:33:00:00:00:01");
  assert.ok(ip.destination.equals(ALL_NODES));
  assert.deepEqual([na.solicited, na.override], [false, true]);
});

test("BPF filter: struct sock_filter layout, little-endian; accepts ARP requests and NS only", () => {
  const prog = neighborFilterBytes();
  assert.equal(prog.length, neighborFilter().length * 8);
  // First instruction: ldh [12] = code 0x0028, jt 0, jf 0, k 12.
  assert.equal(Buffer.from(prog.subarray(0, 8)).toString("hex"), "280000000c000000");
  const accept = (f: Uint8Array) => runBpf(prog, f) > 0;
  assert.ok(accept(arpFrame(1, IpAddress.of("192.0.2.1"), VIP4)));
  assert.ok(!accept(arpFrame(2, IpAddress.of("192.0.2.1"), VIP4)));
  assert.ok(accept(ns().frame));
  assert.ok(accept(ns({ hopLimit: 1 }).frame), "invalid NS reach user space to be counted");
  assert.ok(!accept(unsolicitedAdvertisementFrame(OUR, LL, VIP6)));
  assert.ok(!accept(arpFrame(1, IpAddress.of("192.0.2.1"), VIP4).subarray(0, 21)), "short frame");
  assert.ok(!accept(ns().frame.subarray(0, 54)), "short frame");
  assert.ok(!accept(new Uint8Array(0)));
});
