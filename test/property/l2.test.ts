/**
 * Properties of the layer-2 codec: round trips for every layer, random bytes give a typed
 * error (or a decision) and never a throw, and encoded ICMPv6 verifies its checksum.
 * Seeds and run counts are fixed so CI is reproducible.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { IpAddress } from "../../protocol/ip/index.ts";
import {
  AddressSet,
  type ArpPacket,
  decodeArp,
  decodeEthernet,
  decodeIcmpv6,
  decodeIpv6,
  decodeNdpOptions,
  decodeNeighborAdvertisement,
  decodeNeighborSolicitation,
  type EthernetFrame,
  encodeArp,
  encodeEthernet,
  encodeIcmpv6,
  encodeIpv6,
  encodeNeighborAdvertisement,
  encodeNeighborSolicitation,
  type Ipv6Header,
  L2ErrorKinds,
  MacAddress,
  type NdpOption,
  respond,
  validateNeighborSolicitation,
  verifyIcmpv6Checksum,
} from "../../protocol/l2/index.ts";

const RUNS = { seed: 826, numRuns: 400 };

function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return `bytes:${Buffer.from(x).toString("hex")}`;
  if (x instanceof IpAddress || x instanceof MacAddress) return `${x.constructor.name}:${x}`;
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === "object")
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const mac = fc.tuple(fc.integer({ min: 0, max: 0xffff }), u32).map(([h, l]) => new MacAddress(h, l));
const ip4 = u32.map((w) => new IpAddress(4, w));
const ip6 = fc.tuple(u32, u32, u32, u32).map(([a, b, c, d]) => new IpAddress(6, a, b, c, d));
const etherType = fc.integer({ min: 0x0600, max: 0xffff }).filter((t) => t !== 0x8100);
const vlan = fc.record({
  priority: fc.integer({ min: 0, max: 7 }),
  dropEligible: fc.boolean(),
  id: fc.integer({ min: 0, max: 4095 }),
});
const frame: fc.Arbitrary<EthernetFrame> = fc
  .tuple(mac, mac, fc.option(vlan, { nil: undefined }), etherType, fc.uint8Array({ maxLength: 100 }))
  .map(([destination, source, v, t, payload]) =>
    v === undefined
      ? { destination, source, etherType: t, payload }
      : { destination, source, vlan: v, etherType: t, payload },
  );
const arp: fc.Arbitrary<ArpPacket> = fc.record({
  operation: fc.integer({ min: 0, max: 0xffff }),
  senderMac: mac,
  senderIp: ip4,
  targetMac: mac,
  targetIp: ip4,
});
const header: fc.Arbitrary<Ipv6Header> = fc.record({
  trafficClass: fc.integer({ min: 0, max: 255 }),
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  nextHeader: fc.integer({ min: 0, max: 255 }),
  hopLimit: fc.integer({ min: 0, max: 255 }),
  source: ip6,
  destination: ip6,
});
const option: fc.Arbitrary<NdpOption> = fc.oneof(
  fc.record({
    kind: fc.constant("link-layer-address" as const),
    type: fc.constantFrom(1 as const, 2 as const),
    mac,
  }),
  fc
    .tuple(fc.integer({ min: 3, max: 255 }), fc.integer({ min: 1, max: 4 }))
    .chain(([type, units]) =>
      fc
        .uint8Array({ minLength: units * 8 - 2, maxLength: units * 8 - 2 })
        .map((data) => ({ kind: "raw" as const, type, data })),
    ),
);
const options = fc.array(option, { maxLength: 4 });

test("property: Ethernet decode(encode(f)) = f", () => {
  fc.assert(
    fc.property(frame, (f) => {
      const d = decodeEthernet(encodeEthernet(f));
      assert.ok(d.ok);
      assert.deepEqual(plain(d.value), plain(f));
    }),
    RUNS,
  );
});

test("property: ARP decode(encode(p)) = p", () => {
  fc.assert(
    fc.property(arp, (p) => {
      const d = decodeArp(encodeArp(p));
      assert.ok(d.ok);
      assert.deepEqual(plain(d.value), plain(p));
    }),
    RUNS,
  );
});

test("property: IPv6 decode(encode(h, p)) = (h, p)", () => {
  fc.assert(
    fc.property(header, fc.uint8Array({ maxLength: 200 }), (h, p) => {
      const d = decodeIpv6(encodeIpv6(h, p));
      assert.ok(d.ok);
      assert.deepEqual(plain(d.value), plain({ header: h, payload: p }));
    }),
    RUNS,
  );
});

test("property: NS and NA decode(encode(m)) = m; the encoded ICMPv6 message verifies its checksum", () => {
  fc.assert(
    fc.property(
      ip6,
      options,
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      ip6,
      ip6,
      (target, opts, r, s, o, src, dst) => {
        const ns = { target, options: opts };
        const nsBody = encodeNeighborSolicitation(ns);
        const dn = decodeNeighborSolicitation(nsBody);
        assert.ok(dn.ok);
        assert.deepEqual(plain(dn.value), plain(ns));
        const na = { router: r, solicited: s, override: o, target, options: opts };
        const dna = decodeNeighborAdvertisement(encodeNeighborAdvertisement(na));
        assert.ok(dna.ok);
        assert.deepEqual(plain(dna.value), plain(na));
        const icmp = encodeIcmpv6({ type: 135, code: 0, body: nsBody }, src, dst);
        assert.ok(verifyIcmpv6Checksum(icmp, src, dst));
        const m = decodeIcmpv6(icmp);
        assert.ok(m.ok && m.value.type === 135);
      },
    ),
    RUNS,
  );
});

test("property: random bytes never throw; decoders give a value or a typed error", () => {
  const kinds = new Set(Object.keys(L2ErrorKinds));
  const iface = {
    mac: MacAddress.of("02:00:00:00:00:aa"),
    linkLocal: IpAddress.of("fe80::aa"),
    addresses: new AddressSet([IpAddress.of("192.0.2.10"), IpAddress.of("2001:db8::10")]),
  };
  const check = (r: { ok: boolean; error?: { kind: string } }) => assert.ok(r.ok || kinds.has(r.error!.kind));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), ip6, (b, a) => {
      for (const decode of [decodeEthernet, decodeArp, decodeIpv6, decodeIcmpv6, decodeNdpOptions])
        check(decode(b) as { ok: boolean; error?: { kind: string } });
      check(decodeNeighborSolicitation(b));
      check(decodeNeighborAdvertisement(b));
      validateNeighborSolicitation(
        { trafficClass: 0, flowLabel: 0, nextHeader: 58, hopLimit: 255, source: a, destination: a },
        b,
      );
      const d = respond(b, iface);
      assert.ok(d.action === "ignore" || d.action === "send");
    }),
    RUNS,
  );
});

test("property: random frames that look like ARP or NS never throw in respond()", () => {
  const iface = {
    mac: MacAddress.of("02:00:00:00:00:aa"),
    linkLocal: IpAddress.of("fe80::aa"),
    addresses: new AddressSet([]),
  };
  const prefixed = fc
    .tuple(
      fc.constantFrom(Uint8Array.of(0x08, 0x06), Uint8Array.of(0x86, 0xdd)),
      fc.uint8Array({ maxLength: 100 }),
    )
    .map(([t, rest]) => Uint8Array.of(...new Uint8Array(6).fill(0xff), 2, 0, 0, 0, 0, 0xbb, ...t, ...rest));
  fc.assert(
    fc.property(prefixed, (b) => {
      const d = respond(b, iface);
      assert.ok(d.action === "ignore");
    }),
    RUNS,
  );
});
