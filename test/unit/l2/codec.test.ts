import assert from "node:assert/strict";
import { test } from "node:test";
import { IpAddress } from "../../../protocol/ip/index.ts";
import {
  ALL_NODES,
  ArpOperation,
  arpReplyFrame,
  decodeArp,
  decodeEthernet,
  decodeIcmpv6,
  decodeIpv6,
  decodeNdpOptions,
  decodeNeighborAdvertisement,
  EtherType,
  encodeArp,
  encodeEthernet,
  encodeIcmpv6,
  gratuitousArpFrame,
  gratuitousArpFrames,
  ipv6MulticastMac,
  isLinkLocal,
  isSolicitedNode,
  MacAddress,
  solicitedNodeAddress,
  unsolicitedAdvertisementFrame,
  upperLayerChecksum,
  verifyIcmpv6Checksum,
} from "../../../protocol/l2/index.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ""), "hex"));
const OUR = MacAddress.of("02:00:00:00:00:aa");
const PEER = MacAddress.of("02:00:00:00:00:bb");

test("MacAddress: parse, canonical text, flags", () => {
  assert.equal(MacAddress.of("AA-BB-cc-DD-ee-FF").toString(), "aa:bb:cc:dd:ee:ff");
  for (const bad of [
    "",
    "aa:bb:cc:dd:ee",
    "aa:bb:cc:dd:ee:ff:00",
    "aa:bb-cc:dd:ee:ff",
    "gg:bb:cc:dd:ee:ff",
    "aabbccddeeff",
  ])
    assert.equal(MacAddress.parse(bad), undefined, bad);
  assert.throws(() => MacAddress.of("x"), TypeError);
  assert.ok(MacAddress.BROADCAST.isBroadcast && MacAddress.BROADCAST.isMulticast);
  assert.ok(MacAddress.of("33:33:00:00:00:01").isMulticast);
  assert.ok(!OUR.isMulticast && !OUR.isBroadcast && !OUR.isZero && MacAddress.ZERO.isZero);
  assert.ok(MacAddress.fromBytes(OUR.toBytes()).equals(OUR));
  assert.equal(hex(MacAddress.of("01:23:45:67:89:ab").toBytes()), "0123456789ab");
});

test("RFC 2464 §7 multicast MAC and RFC 4291 §2.7.1 solicited-node address", () => {
  const vip = IpAddress.of("2001:db8::1:2345:6789");
  const sn = solicitedNodeAddress(vip);
  assert.equal(sn.toString(), "ff02::1:ff45:6789");
  assert.ok(isSolicitedNode(sn) && !isSolicitedNode(vip) && !isSolicitedNode(ALL_NODES));
  assert.equal(ipv6MulticastMac(sn).toString(), "33:33:ff:45:67:89");
  assert.equal(ipv6MulticastMac(ALL_NODES).toString(), "33:33:00:00:00:01");
  assert.ok(isLinkLocal(IpAddress.of("fe80::1")) && isLinkLocal(IpAddress.of("febf::1")));
  assert.ok(!isLinkLocal(IpAddress.of("fec0::1")));
});

test("Ethernet II: decode and encode, with and without an 802.1Q tag", () => {
  const plain = bytes("ffffffffffff 0200000000bb 0806 0001");
  const d = decodeEthernet(plain);
  assert.ok(d.ok);
  assert.equal(d.value.destination.toString(), "ff:ff:ff:ff:ff:ff");
  assert.equal(d.value.etherType, EtherType.ARP);
  assert.equal(d.value.vlan, undefined);
  assert.equal(hex(encodeEthernet(d.value)), hex(plain));
  const tagged = bytes("ffffffffffff 0200000000bb 8100 b064 0806 0001");
  const t = decodeEthernet(tagged);
  assert.ok(t.ok);
  assert.deepEqual(t.value.vlan, { priority: 5, dropEligible: true, id: 100 });
  assert.equal(t.value.etherType, EtherType.ARP);
  assert.equal(hex(encodeEthernet(t.value)), hex(tagged));
  assert.equal(encodeEthernet(d.value, { padToMinimum: true }).length, 60);
});

test("Ethernet II: truncated frames and 802.3 length fields are typed errors", () => {
  const cases: [string, string][] = [
    ["", "ethernet-truncated"],
    ["ffffffffffff0200000000bb08", "ethernet-truncated"],
    ["ffffffffffff0200000000bb8100b0", "ethernet-truncated"],
    ["ffffffffffff0200000000bb05dc", "ethernet-length-field"],
  ];
  for (const [h, kind] of cases) {
    const r = decodeEthernet(bytes(h));
    assert.ok(!r.ok && r.error.kind === kind, h);
  }
});

test("ARP (RFC 826): decode, re-encode, padding ignored, other hardware rejected", () => {
  const req = bytes("0001 0800 06 04 0001 0200000000bb 0a000002 000000000000 0a000001 0000");
  const d = decodeArp(req);
  assert.ok(d.ok);
  assert.equal(d.value.operation, ArpOperation.Request);
  assert.equal(d.value.senderIp.toString(), "10.0.0.2");
  assert.equal(d.value.targetIp.toString(), "10.0.0.1");
  assert.equal(hex(encodeArp(d.value)), hex(req.subarray(0, 28)));
  const short = decodeArp(req.subarray(0, 27));
  assert.ok(!short.ok && short.error.kind === "arp-truncated");
  assert.ok(!decodeArp(req.subarray(0, 7)).ok);
  const ib = req.slice();
  ib[1] = 32; // RFC 4391 InfiniBand: not Ethernet
  const r = decodeArp(ib);
  assert.ok(!r.ok && r.error.kind === "arp-unsupported");
});

test("ARP reply: to the requester, sender = (our MAC, VIP), target = the requester, padded to 60", () => {
  const vip = IpAddress.of("192.0.2.10");
  const request = {
    operation: 1,
    senderMac: PEER,
    senderIp: IpAddress.of("192.0.2.1"),
    targetMac: MacAddress.ZERO,
    targetIp: vip,
  };
  const frame = arpReplyFrame(request, OUR, vip);
  assert.equal(frame.length, 60);
  assert.equal(
    hex(frame),
    "0200000000bb" +
      "0200000000aa" +
      "0806" +
      "0001080006040002" +
      "0200000000aa" +
      "c000020a" +
      "0200000000bb" +
      "c0000201" +
      "0".repeat(36),
  );
});

test("gratuitous ARP (RFC 5227 §3): request and reply, broadcast, sender = target = VIP, target MAC broadcast", () => {
  const vip = IpAddress.of("192.0.2.10");
  const [req, rep] = gratuitousArpFrames(OUR, vip);
  for (const [f, op] of [
    [req!, ArpOperation.Request],
    [rep!, ArpOperation.Reply],
  ] as const) {
    const e = decodeEthernet(f);
    assert.ok(e.ok);
    assert.ok(e.value.destination.isBroadcast && e.value.source.equals(OUR));
    const a = decodeArp(e.value.payload);
    assert.ok(a.ok);
    assert.equal(a.value.operation, op);
    assert.ok(a.value.senderMac.equals(OUR) && a.value.targetMac.isBroadcast);
    assert.ok(a.value.senderIp.equals(vip) && a.value.targetIp.equals(vip));
  }
  const zero = decodeEthernet(gratuitousArpFrame(OUR, vip, 1, MacAddress.ZERO));
  assert.ok(zero.ok);
  const za = decodeArp(zero.value.payload);
  assert.ok(za.ok && za.value.targetMac.isZero, "RFC 5227 form on request");
});

test("IPv6 header (RFC 8200 §3): fields, payload length, trailing padding, errors", () => {
  const src = "fe800000000000000000000000000001";
  const dst = "ff0200000000000000000000000000001".slice(0, 32);
  const pkt = bytes(`6a1fffff 0004 3a ff ${src} ${dst} 01020304 0000`);
  const d = decodeIpv6(pkt);
  assert.ok(d.ok);
  assert.equal(d.value.header.trafficClass, 0xa1);
  assert.equal(d.value.header.flowLabel, 0xfffff);
  assert.equal(d.value.header.nextHeader, 58);
  assert.equal(d.value.header.hopLimit, 255);
  assert.equal(d.value.header.source.toString(), "fe80::1");
  assert.equal(hex(d.value.payload), "01020304");
  const cases: [Uint8Array, string][] = [
    [pkt.subarray(0, 39), "ipv6-truncated"],
    [bytes(`4a1fffff 0004 3a ff ${src} ${dst} 01020304`), "ipv6-version"],
    [bytes(`6a1fffff 0005 3a ff ${src} ${dst} 01020304`), "ipv6-payload-length"],
  ];
  for (const [b, kind] of cases) {
    const r = decodeIpv6(b);
    assert.ok(!r.ok && r.error.kind === kind, kind);
  }
});

test("ICMPv6 checksum (RFC 4443 §2.3 over the RFC 8200 §8.1 pseudo-header)", () => {
  // Captured frames check the checksum against tcpdump's and Python's (test/vectors/l2); here: round trip and tamper.
  const src = IpAddress.of("fe80::1");
  const dst = IpAddress.of("fe80::2");
  const m = encodeIcmpv6({ type: 128, code: 0, body: bytes("00010001 616263") }, src, dst);
  assert.ok(verifyIcmpv6Checksum(m, src, dst));
  assert.ok(!verifyIcmpv6Checksum(m, src, IpAddress.of("fe80::3")));
  const bad = m.slice();
  bad[5]! ^= 1;
  assert.ok(!verifyIcmpv6Checksum(bad, src, dst));
  // Summed with its checksum in place, an intact message gives 0 (RFC 1071 §1).
  assert.equal(upperLayerChecksum(src, dst, 58, m), 0);
  const d = decodeIcmpv6(m);
  assert.ok(d.ok && d.value.type === 128 && d.value.body.length === 7);
  const t = decodeIcmpv6(m.subarray(0, 3));
  assert.ok(!t.ok && t.error.kind === "icmpv6-truncated");
});

test("NDP options (RFC 4861 §4.6): LLA decoded, others kept, zero length and overrun rejected", () => {
  const opts = decodeNdpOptions(bytes("0101 0200000000bb 0e01 6c3263617021"));
  assert.ok(opts.ok);
  assert.equal(opts.value.length, 2);
  assert.deepEqual(opts.value[0], { kind: "link-layer-address", type: 1, mac: PEER });
  const raw = opts.value[1]!;
  assert.ok(raw.kind === "raw" && raw.type === 14 && hex(raw.data) === "6c3263617021");
  const zero = decodeNdpOptions(bytes("0100 0200000000bb"));
  assert.ok(!zero.ok && zero.error.kind === "ndp-option-length-zero");
  const over = decodeNdpOptions(bytes("0102 0200000000bb"));
  assert.ok(!over.ok && over.error.kind === "ndp-option-overrun");
  const odd = decodeNdpOptions(bytes("01"));
  assert.ok(!odd.ok && odd.error.kind === "ndp-option-overrun");
  // An LLA option of another length (not Ethernet) is kept as raw bytes.
  const long = decodeNdpOptions(bytes(`0102 ${"00".repeat(14)}`));
  assert.ok(long.ok && long.value[0]!.kind === "raw");
});

test("unsolicited NA (RFC 4861 §7.2.6): S = 0, O = 1, R = 0, to ff02::1 from the link-local, hop limit 255", () => {
  const ll = IpAddress.of("fe80::aa");
  const vip = IpAddress.of("2001:db8::10");
  const e = decodeEthernet(unsolicitedAdvertisementFrame(OUR, ll, vip));
  assert.ok(e.ok);
  assert.equal(e.value.destination.toString(), "33:33:00:00:00:01");
  const ip = decodeIpv6(e.value.payload);
  assert.ok(ip.ok);
  assert.equal(ip.value.header.hopLimit, 255);
  assert.ok(ip.value.header.source.equals(ll) && ip.value.header.destination.equals(ALL_NODES));
  assert.ok(verifyIcmpv6Checksum(ip.value.payload, ll, ALL_NODES));
  const na = decodeNeighborAdvertisement(ip.value.payload.subarray(4));
  assert.ok(na.ok);
  assert.deepEqual(
    { r: na.value.router, s: na.value.solicited, o: na.value.override, t: na.value.target.toString() },
    { r: false, s: false, o: true, t: "2001:db8::10" },
  );
  assert.deepEqual(na.value.options, [{ kind: "link-layer-address", type: 2, mac: OUR }]);
});
