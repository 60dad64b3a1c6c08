/**
 * Properties of the BGP codec (DESIGN.md "Property tests are ordinary tests"): round trips
 * for every message type, random bytes give a typed error and never a throw, and the framer
 * is chunking-invariant. Seeds and run counts are fixed so CI is reproducible.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  AttrFlag,
  type Capability,
  type CodecContext,
  decodeMessage,
  encodeMessage,
  Framer,
  type Message,
  type PathAttribute,
} from "../../protocol/bgp/index.ts";
import { IpAddress, Prefix } from "../../protocol/ip/index.ts";

// Sizes up to each arbitrary's maximum, not only small values (fast-check's default).
fc.configureGlobal({ baseSize: "large" });
const RUNS = { seed: 4271, numRuns: 300 };

/** Comparable form: fast-check builds null-prototype records, the decoder plain objects. */
function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return `bytes:${Buffer.from(x).toString("hex")}`;
  if (x instanceof IpAddress || x instanceof Prefix) return `${x.constructor.name}:${x}`;
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === "object")
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}
const WK = AttrFlag.TRANSITIVE;
const OT = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
const ON = AttrFlag.OPTIONAL;

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const asn4 = fc.integer({ min: 1, max: 0xffffffff });
const unicast4 = fc.integer({ min: 0x01000000, max: 0xdfffffff }).map((w) => new IpAddress(4, w));
const v6 = fc.tuple(u32, u32, u32, u32).map(([a, b, c, d]) => new IpAddress(6, a, b, c, d));
const prefix4 = fc.tuple(u32, fc.integer({ min: 0, max: 32 })).map(([w, l]) => new Prefix(4, l, w));
const prefix6 = fc
  .tuple(u32, u32, u32, u32, fc.integer({ min: 0, max: 128 }))
  .map(([a, b, c, d, l]) => new Prefix(6, l, a, b, c, d));
const segments = (asn: fc.Arbitrary<number>) =>
  fc.array(
    fc.record({ type: fc.integer({ min: 1, max: 2 }), asns: fc.array(asn, { minLength: 1, maxLength: 8 }) }),
    { maxLength: 3 },
  );

const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ code: fc.constant(1 as const), afi: u16, safi: fc.integer({ min: 0, max: 255 }) }),
  fc.constantFrom({ code: 2 as const }, { code: 6 as const }, { code: 70 as const }, { code: 128 as const }),
  fc.record({ code: fc.constant(65 as const), asn: asn4 }),
  fc.record({
    code: fc.constant(64 as const),
    flags: fc.integer({ min: 0, max: 15 }),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(
      fc.record({
        afi: u16,
        safi: fc.integer({ min: 0, max: 255 }),
        flags: fc.integer({ min: 0, max: 255 }),
      }),
      {
        maxLength: 3,
      },
    ),
  }),
  fc.record({
    code: fc.constant(5 as const),
    entries: fc.array(fc.record({ afi: u16, safi: u16, nextHopAfi: u16 }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    code: fc.integer({ min: 129, max: 255 }),
    value: fc.uint8Array({ maxLength: 8 }),
    unknown: fc.constant(true as const),
  }),
);

const open: fc.Arbitrary<Message> = fc.record({
  type: fc.constant("OPEN" as const),
  version: fc.constant(4),
  myAs: fc.integer({ min: 1, max: 0xffff }),
  holdTime: u16,
  bgpId: u32.map((w) => new IpAddress(4, w)),
  parameters: fc.array(fc.array(capability, { minLength: 1, maxLength: 5 }), { maxLength: 3 }),
});

/** A valid UPDATE: announcement attributes only with something to announce, unique types. */
const update = (fourOctetAs: boolean): fc.Arbitrary<Message> =>
  fc
    .record({
      withdrawn: fc.array(prefix4, { maxLength: 20 }),
      nlri: fc.array(prefix4, { maxLength: 20 }),
      reach: fc.option(
        fc.record({
          nextHops: fc.oneof(fc.tuple(v6), fc.tuple(v6, v6)),
          nlri: fc.array(prefix6, { maxLength: 10 }),
        }),
      ),
      unreach: fc.option(fc.array(prefix6, { maxLength: 10 })),
      origin: fc.integer({ min: 0, max: 2 }),
      path: segments(fourOctetAs ? asn4 : fc.integer({ min: 1, max: 0xffff })),
      nextHop: unicast4,
      med: fc.option(u32),
      communities: fc.option(fc.array(u32, { minLength: 1, maxLength: 5 })),
      large: fc.option(
        fc.array(fc.record({ globalAdmin: u32, localData1: u32, localData2: u32 }), {
          minLength: 1,
          maxLength: 3,
        }),
      ),
      ext: fc.option(fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 3 })),
      unknown: fc.option(fc.uint8Array({ maxLength: 300 })),
    })
    .map((r) => {
      const attributes: PathAttribute[] = [];
      if (r.reach)
        attributes.push({ typeCode: 14, flags: ON | AttrFlag.EXTENDED_LENGTH, afi: 2, safi: 1, ...r.reach });
      if (r.unreach)
        attributes.push({
          typeCode: 15,
          flags: ON | AttrFlag.EXTENDED_LENGTH,
          afi: 2,
          safi: 1,
          withdrawn: r.unreach,
        });
      const announcing = r.nlri.length > 0 || r.reach !== null;
      if (announcing) {
        attributes.push(
          { typeCode: 1, flags: WK, origin: r.origin },
          { typeCode: 2, flags: WK, segments: r.path },
        );
        if (r.nlri.length > 0) attributes.push({ typeCode: 3, flags: WK, nextHop: r.nextHop });
      }
      if (r.med !== null) attributes.push({ typeCode: 4, flags: ON, med: r.med });
      if (r.communities) attributes.push({ typeCode: 8, flags: OT, communities: r.communities });
      if (r.ext) attributes.push({ typeCode: 16, flags: OT, communities: r.ext });
      if (r.large) attributes.push({ typeCode: 32, flags: OT, communities: r.large });
      if (r.unknown) {
        const flags = OT | AttrFlag.PARTIAL | (r.unknown.length > 255 ? AttrFlag.EXTENDED_LENGTH : 0);
        attributes.push({ typeCode: 99, flags, value: r.unknown, unknown: true });
      }
      return { type: "UPDATE" as const, withdrawn: r.withdrawn, attributes, nlri: r.nlri };
    });

const notification: fc.Arbitrary<Message> = fc.record({
  type: fc.constant("NOTIFICATION" as const),
  code: fc.integer({ min: 0, max: 255 }),
  subcode: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 100 }),
});
const routeRefresh: fc.Arbitrary<Message> = fc.record({
  type: fc.constant("ROUTE-REFRESH" as const),
  afi: u16,
  subtype: fc.constantFrom(0, 1, 2, 3, 255),
  safi: fc.integer({ min: 0, max: 255 }),
});
const keepalive: fc.Arbitrary<Message> = fc.constant({ type: "KEEPALIVE" as const });

const ctx4: CodecContext = { fourOctetAs: true, extendedMessage: false, ibgp: false };
const ctx2: CodecContext = { ...ctx4, fourOctetAs: false };

for (const [name, arb, ctx] of [
  ["OPEN", open, ctx4],
  ["UPDATE (4-octet AS)", update(true), ctx4],
  ["UPDATE (2-octet AS)", update(false), ctx2],
  ["NOTIFICATION", notification, ctx4],
  ["ROUTE-REFRESH", routeRefresh, ctx4],
  ["KEEPALIVE", keepalive, ctx4],
] as const) {
  test(`${name}: decode(encode(m)) = m, and encode(decode(b)) = b`, () => {
    fc.assert(
      fc.property(arb, (m) => {
        const b = encodeMessage(m, ctx);
        const r = decodeMessage(b, ctx);
        assert.ok(r.ok, r.ok ? "" : r.error.reason);
        assert.deepEqual(plain(r.value), plain(m));
        assert.deepEqual(encodeMessage(r.value, ctx), b);
      }),
      RUNS,
    );
  });
}

const anyMessage = fc.oneof(open, update(true), notification, routeRefresh, keepalive);

test("random bytes after a valid header give a value or a typed error, never a throw", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 7 }),
      fc.uint8Array({ maxLength: 600, size: "max" }),
      fc.boolean(),
      (type, body, ext) => {
        const b = new Uint8Array(19 + body.length);
        b.fill(0xff, 0, 16);
        b[16] = b.length >>> 8;
        b[17] = b.length & 0xff;
        b[18] = type;
        b.set(body, 19);
        const r = decodeMessage(b, { ...ctx4, extendedMessage: ext });
        if (!r.ok) assert.ok(r.error.code >= 1 && r.error.code <= 7 && typeof r.error.reason === "string");
      },
    ),
    { seed: 7606, numRuns: 3000 },
  );
});

test("valid messages with random bytes flipped never throw", () => {
  fc.assert(
    fc.property(
      anyMessage,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (m, flips) => {
        const b = encodeMessage(m, ctx4);
        for (const [i, v] of flips) b[19 + (i % Math.max(1, b.length - 19))] = v;
        if (b.length === 19) return;
        decodeMessage(b, ctx4);
        decodeMessage(b, ctx2);
      },
    ),
    { seed: 9003, numRuns: 2000 },
  );
});

test("entirely random bytes through the framer: frames or a header error, bounded", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200, size: "max" }), (b) => {
      const r = new Framer().push(b);
      for (const f of r.frames) decodeMessage(f, ctx4);
    }),
    { seed: 1, numRuns: 2000 },
  );
});

test("framer: any chunking of a stream gives the same messages", () => {
  fc.assert(
    fc.property(
      fc.array(anyMessage, { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
      (ms, cuts) => {
        const encoded = ms.map((m) => encodeMessage(m, ctx4));
        const stream = Buffer.concat(encoded);
        const f = new Framer();
        const got: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const n = cuts[i % cuts.length]!;
          const r = f.push(new Uint8Array(stream.subarray(at, at + n)));
          assert.equal(r.error, undefined);
          got.push(...r.frames.map((x) => Buffer.from(x)));
          at += n;
        }
        assert.deepEqual(
          got.map((x) => x.toString("hex")),
          encoded.map((x) => Buffer.from(x).toString("hex")),
        );
      },
    ),
    RUNS,
  );
});
