import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AttrFlag,
  AttrType,
  CeaseSubcode,
  type CodecContext,
  cease,
  DEFAULT_CONTEXT,
  decodeMessage,
  encodeMessage,
  endOfRib,
  endOfRibOf,
  Framer,
  KEEPALIVE,
  linkBandwidth,
  type Message,
  mpReachOf,
  mpUnreachOf,
  negotiate,
  type OpenMessage,
  Origin,
  packAnnouncements,
  packWithdrawals,
  parseLinkBandwidth,
  SegmentType,
  shutdownCommunicationOf,
  type UpdateMessage,
  validateOpen,
} from "../../../protocol/bgp/index.ts";
import { IpAddress, Prefix } from "../../../protocol/ip/index.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ctx: CodecContext = DEFAULT_CONTEXT;

function decodeOk(b: Uint8Array, c: CodecContext = ctx): Message {
  const r = decodeMessage(b, c);
  assert.ok(r.ok, r.ok ? "" : r.error.reason);
  return r.value;
}

function hosts(base: string, n: number): Prefix[] {
  const a = IpAddress.of(base);
  const out: Prefix[] = [];
  for (let i = 0; i < n; i++) {
    out.push(a.family === 4 ? new Prefix(4, 32, a.w0 + i) : new Prefix(6, 128, a.w0, a.w1, a.w2, a.w3 + i));
  }
  return out;
}

const open: OpenMessage = {
  type: "OPEN",
  version: 4,
  myAs: 23456,
  holdTime: 90,
  bgpId: IpAddress.of("10.0.0.1"),
  parameters: [
    [
      { code: 1, afi: 1, safi: 1 },
      { code: 1, afi: 2, safi: 1 },
      { code: 2 },
      { code: 65, asn: 4200000001 },
      { code: 64, flags: 0x8, restartTime: 120, families: [{ afi: 1, safi: 1, flags: 0x80 }] },
      { code: 6 },
      { code: 200, value: Uint8Array.of(1, 2, 3), unknown: true },
    ],
  ],
};

describe("OPEN", () => {
  test("round trip with capabilities, unknown capability kept as bytes", () => {
    const b = encodeMessage(open, ctx);
    assert.deepEqual(decodeOk(b), open);
  });

  test("RFC 9072 extended optional parameters decode like the normal encoding", () => {
    const ext = encodeMessage({ ...open, extendedParameters: true }, ctx);
    const m = decodeOk(ext) as OpenMessage;
    assert.equal(m.extendedParameters, true);
    assert.deepEqual(m.parameters, open.parameters);
    assert.equal(hex(encodeMessage(m, ctx)), hex(ext));
  });

  test("more than 255 octets of parameters switch to the RFC 9072 encoding by themselves", () => {
    const many: OpenMessage = {
      ...open,
      parameters: [Array.from({ length: 80 }, (_, i) => ({ code: 1, afi: 1, safi: i }) as const)],
    };
    const m = decodeOk(encodeMessage(many, ctx)) as OpenMessage;
    assert.equal(m.extendedParameters, true);
    assert.equal(m.parameters[0]!.length, 80);
  });

  test("validation: 4-octet AS from the capability, AS 0, hold time 1-2, BGP Identifier rules", () => {
    const local = { localAs: 65000, localBgpId: IpAddress.of("10.0.0.1") };
    assert.deepEqual(validateOpen(open, { ...local, peerAs: 4200000001 }), { ok: true, value: 4200000001 });
    const sub = (o: OpenMessage, e: { localAs: number; peerAs?: number; localBgpId: IpAddress }) => {
      const r = validateOpen(o, e);
      return r.ok ? undefined : [r.error.code, r.error.subcode];
    };
    assert.deepEqual(sub(open, { ...local, peerAs: 65001 }), [2, 2]);
    assert.deepEqual(sub({ ...open, myAs: 0, parameters: [] }, local), [2, 2]);
    assert.deepEqual(sub({ ...open, holdTime: 2 }, local), [2, 6]);
    assert.equal(sub({ ...open, holdTime: 0 }, local), undefined);
    assert.deepEqual(sub({ ...open, bgpId: IpAddress.of("0.0.0.0") }, local), [2, 3]);
    // RFC 6286: the same identifier is an error only within one AS.
    const ibgp = { ...open, myAs: 65000, parameters: [] };
    assert.deepEqual(sub(ibgp, local), [2, 3]);
    assert.equal(sub({ ...open, myAs: 65001, parameters: [] }, local), undefined);
  });

  test("negotiation: smaller hold time, shared families, 4-octet AS only when both", () => {
    const ours: OpenMessage = {
      ...open,
      holdTime: 30,
      parameters: [
        [
          { code: 1, afi: 1, safi: 1 },
          { code: 65, asn: 65000 },
        ],
      ],
    };
    const n = negotiate(ours, open, 65000);
    assert.equal(n.holdTime, 30);
    assert.deepEqual(n.families, [{ afi: 1, safi: 1 }]);
    assert.equal(n.fourOctetAs, true);
    assert.equal(n.extendedMessage, false);
    assert.equal(n.peerAs, 4200000001);
    assert.equal(n.peerGracefulRestart?.restartTime, 120);
    const old: OpenMessage = { ...open, myAs: 65002, parameters: [] };
    const n2 = negotiate(ours, old, 65000);
    assert.equal(n2.fourOctetAs, false);
    assert.deepEqual(n2.families, [{ afi: 1, safi: 1 }], "no MP capability means IPv4 unicast");
  });
});

describe("UPDATE", () => {
  const attrs = [
    { typeCode: AttrType.ORIGIN, flags: AttrFlag.TRANSITIVE, origin: Origin.IGP },
    {
      typeCode: AttrType.AS_PATH,
      flags: AttrFlag.TRANSITIVE,
      segments: [
        { type: SegmentType.AS_SEQUENCE, asns: [65001, 4200000001] },
        { type: SegmentType.AS_SET, asns: [1, 2] },
      ],
    },
    {
      typeCode: AttrType.COMMUNITIES,
      flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
      communities: [0xffffff01],
    },
    {
      typeCode: AttrType.EXTENDED_COMMUNITIES,
      flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
      communities: [linkBandwidth(65001, 1.25e9)],
    },
    {
      typeCode: AttrType.LARGE_COMMUNITY,
      flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
      communities: [{ globalAdmin: 4200000000, localData1: 1, localData2: 2 }],
    },
  ] as const;

  test("IPv4 announcement packs into the NLRI field with NEXT_HOP; decodes back", () => {
    const msgs = packAnnouncements(
      {
        family: 4,
        attributes: attrs,
        nextHops: [IpAddress.of("10.0.0.1")],
        prefixes: hosts("100.64.0.0", 3),
      },
      ctx,
    );
    assert.equal(msgs.length, 1);
    const m = decodeOk(msgs[0]!) as UpdateMessage;
    assert.equal(m.problems, undefined);
    assert.deepEqual(m.nlri.map(String), ["100.64.0.0/32", "100.64.0.1/32", "100.64.0.2/32"]);
    assert.deepEqual(
      m.attributes.map((a) => a.typeCode),
      [1, 2, 8, 16, 32, 3],
    );
    assert.equal(hex(encodeMessage(m, ctx)), hex(msgs[0]!));
    const ec = m.attributes.find((a) => a.typeCode === 16);
    assert.ok(ec && "communities" in ec);
    assert.deepEqual(parseLinkBandwidth(ec.communities[0] as Uint8Array), {
      asn: 65001,
      bytesPerSecond: 1.25e9,
    });
  });

  test("IPv6 announcement uses MP_REACH_NLRI first, with a 32-octet next hop when given two", () => {
    const nh = [IpAddress.of("2001:db8::1"), IpAddress.of("fe80::1")];
    const msgs = packAnnouncements(
      { family: 6, attributes: attrs, nextHops: nh, prefixes: hosts("2001:db8:1::", 5) },
      ctx,
    );
    const m = decodeOk(msgs[0]!) as UpdateMessage;
    assert.equal(m.attributes[0]!.typeCode, AttrType.MP_REACH_NLRI, "RFC 7606 §5.1: MP_REACH_NLRI first");
    const reach = mpReachOf(m)!;
    assert.deepEqual(reach.nextHops.map(String), ["2001:db8::1", "fe80::1"]);
    assert.equal(reach.nlri.length, 5);
    assert.equal(hex(encodeMessage(m, ctx)), hex(msgs[0]!));
  });

  test("10 000 /32 withdrawals: every message ≤ 4096 octets and the union is the input", () => {
    const ps = hosts("100.64.0.0", 10_000);
    const msgs = packWithdrawals(4, ps, ctx);
    assert.ok(msgs.every((b) => b.length <= 4096));
    assert.equal(msgs.length, Math.ceil(10_000 / Math.floor((4096 - 23) / 5)));
    const got = msgs.flatMap((b) => (decodeOk(b) as UpdateMessage).withdrawn.map(String));
    assert.deepEqual(got, ps.map(String));
  });

  test("IPv6 withdrawals in MP_UNREACH_NLRI; 65535-octet messages with RFC 8654", () => {
    const ps = hosts("2001:db8::", 20_000);
    const ext = { ...ctx, extendedMessage: true };
    const big = packWithdrawals(6, ps, ext);
    const small = packWithdrawals(6, ps, ctx);
    assert.ok(big.every((b) => b.length <= 65535) && small.every((b) => b.length <= 4096));
    assert.ok(big.length < small.length / 10);
    const got = big.flatMap((b) => mpUnreachOf(decodeOk(b, ext) as UpdateMessage)!.withdrawn.map(String));
    assert.deepEqual(got, ps.map(String));
  });

  test("announcements fill messages: fewest UPDATEs for 100 000 /32s", () => {
    const ps = hosts("100.64.0.0", 100_000);
    const msgs = packAnnouncements(
      { family: 4, attributes: attrs, nextHops: [IpAddress.of("10.0.0.1")], prefixes: ps },
      ctx,
    );
    const perMsg = Math.floor(
      (4096 - msgs[0]!.length + (decodeOk(msgs[0]!) as UpdateMessage).nlri.length * 5) / 5,
    );
    assert.equal(msgs.length, Math.ceil(100_000 / perMsg));
    assert.ok(msgs.every((b) => b.length <= 4096));
  });

  test("End-of-RIB: 23-octet IPv4 and the IPv6 MP_UNREACH form", () => {
    assert.equal(hex(endOfRib(1, 1)), `${"ff".repeat(16)}001702` + "00000000");
    assert.equal(hex(endOfRib(2, 1)), `${"ff".repeat(16)}001d02` + "0000000680" + "0f03000201");
    assert.deepEqual(endOfRibOf(decodeOk(endOfRib(1, 1)) as UpdateMessage), { afi: 1, safi: 1 });
    assert.deepEqual(endOfRibOf(decodeOk(endOfRib(2, 1)) as UpdateMessage), { afi: 2, safi: 1 });
  });

  test("2-octet AS session: AS_PATH with 2-octet ASNs", () => {
    const two = { ...ctx, fourOctetAs: false };
    const a = [
      { typeCode: AttrType.ORIGIN, flags: AttrFlag.TRANSITIVE, origin: 0 },
      { typeCode: AttrType.AS_PATH, flags: AttrFlag.TRANSITIVE, segments: [{ type: 2, asns: [23456] }] },
      {
        typeCode: AttrType.AS4_PATH,
        flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
        segments: [{ type: 2, asns: [4200000001] }],
      },
    ] as const;
    const [b] = packAnnouncements(
      { family: 4, attributes: a, nextHops: [IpAddress.of("10.0.0.1")], prefixes: hosts("10.9.0.0", 1) },
      two,
    );
    const m = decodeOk(b!, two) as UpdateMessage;
    assert.equal(m.problems, undefined);
    assert.deepEqual(m.attributes[1], a[1]);
    assert.deepEqual(m.attributes[2], a[2]);
    // The same bytes from a 4-octet AS peer: AS_PATH is misparsed as malformed → treat-as-withdraw.
    const m4 = decodeOk(b!, ctx) as UpdateMessage;
    assert.ok(m4.problems?.some((p) => p.action === "treat-as-withdraw"));
  });
});

describe("NOTIFICATION, KEEPALIVE, ROUTE-REFRESH", () => {
  test("Cease with a shutdown communication (RFC 9003), cut at 255 octets on a character boundary", () => {
    const m = cease(CeaseSubcode.AdministrativeShutdown, "maintenance: draining node-3");
    const d = decodeOk(encodeMessage(m, ctx));
    assert.ok(d.type === "NOTIFICATION");
    assert.equal(shutdownCommunicationOf(d), "maintenance: draining node-3");
    const long = cease(CeaseSubcode.AdministrativeShutdown, "é".repeat(200));
    assert.equal(long.data[0], 254, "127 two-octet characters");
    assert.equal(shutdownCommunicationOf(long), "é".repeat(127));
  });

  test("a truncated or invalid shutdown communication is not an error, only absent", () => {
    const m = { type: "NOTIFICATION", code: 6, subcode: 2, data: Uint8Array.of(200, 0x41, 0x42) } as const;
    assert.equal(shutdownCommunicationOf(decodeOk(encodeMessage(m, ctx)) as typeof m), undefined);
    const bad = { ...m, data: Uint8Array.of(2, 0xc3, 0x28) };
    assert.equal(shutdownCommunicationOf(bad), undefined);
    const ctl = { ...m, data: Uint8Array.of(3, 0x41, 0x0a, 0x1b) };
    assert.equal(shutdownCommunicationOf(ctl), "A\ufffd\ufffd", "control characters replaced for logs");
  });

  test("KEEPALIVE is 19 octets; ROUTE-REFRESH round trips", () => {
    assert.equal(KEEPALIVE.length, 19);
    assert.deepEqual(decodeOk(KEEPALIVE), { type: "KEEPALIVE" });
    const rr = { type: "ROUTE-REFRESH", afi: 2, subtype: 1, safi: 1 } as const;
    assert.deepEqual(decodeOk(encodeMessage(rr, ctx)), rr);
  });
});

describe("Framer", () => {
  test("any chunking gives the same messages; a bad header stops the stream", () => {
    const stream = Buffer.concat([KEEPALIVE, encodeMessage(open, ctx), endOfRib(2, 1), KEEPALIVE]);
    for (const size of [1, 2, 7, 19, 64, stream.length]) {
      const f = new Framer();
      const frames: string[] = [];
      for (let i = 0; i < stream.length; i += size) {
        const r = f.push(new Uint8Array(stream.subarray(i, i + size)));
        assert.equal(r.error, undefined);
        frames.push(...r.frames.map(hex));
      }
      assert.equal(frames.length, 4, `chunk size ${size}`);
      assert.equal(frames.join(""), hex(stream));
      assert.equal(f.buffered, 0);
    }
    const bad = new Uint8Array(KEEPALIVE);
    bad[3] = 0;
    const r = new Framer().push(Buffer.concat([KEEPALIVE, bad]));
    assert.equal(r.frames.length, 1);
    assert.deepEqual([r.error?.code, r.error?.subcode], [1, 1]);
  });

  test("a length over 4096 is refused from the header alone, before its body arrives", () => {
    const h = new Uint8Array(19).fill(0xff);
    h[16] = 0x13;
    h[17] = 0x88; // 5000
    h[18] = 2;
    const r = new Framer().push(h);
    assert.deepEqual([r.error?.code, r.error?.subcode, hex(r.error!.data)], [1, 2, "1388"]);
    assert.equal(new Framer({ extendedMessage: true }).push(h).error, undefined);
  });
});
