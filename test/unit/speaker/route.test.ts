import assert from "node:assert/strict";
import { test } from "node:test";
import { AS_TRANS } from "../../../protocol/bgp/index.ts";
import { Prefix } from "../../../protocol/ip/index.ts";
import { AdjRibOut, originatedAttributes, route, routeAttributes } from "../../../src/speaker/bgp/index.ts";

const p = (s: string) => Prefix.from(s);

test("eBGP: AS_PATH is one AS_SEQUENCE of our AS, no LOCAL_PREF; communities sorted and unique", () => {
  const a = originatedAttributes(
    routeAttributes({ communities: [0xfde80002, 0xfde80001, 0xfde80002], localPref: 200 }),
    {
      localAs: 65001,
      ibgp: false,
      fourOctetAs: true,
    },
  );
  assert.deepEqual(
    a.map((x) => x.typeCode),
    [1, 2, 8],
  );
  assert.deepEqual(a[1], { typeCode: 2, flags: 0x40, segments: [{ type: 2, asns: [65001] }] });
  assert.deepEqual(a[2], { typeCode: 8, flags: 0xc0, communities: [0xfde80001, 0xfde80002] });
});

test("iBGP: empty AS_PATH and LOCAL_PREF from the advertisement, 100 when unset", () => {
  const withPref = originatedAttributes(routeAttributes({ localPref: 250 }), {
    localAs: 65001,
    ibgp: true,
    fourOctetAs: true,
  });
  assert.deepEqual(withPref[1], { typeCode: 2, flags: 0x40, segments: [] });
  assert.deepEqual(withPref[2], { typeCode: 5, flags: 0x40, localPref: 250 });
  const unset = originatedAttributes(routeAttributes(), { localAs: 65001, ibgp: true, fourOctetAs: true });
  assert.deepEqual(unset[2], { typeCode: 5, flags: 0x40, localPref: 100 });
});

test("RFC 6793 §4.2.2: a 4-octet AS towards a 2-octet peer is AS_TRANS plus AS4_PATH", () => {
  const a = originatedAttributes(routeAttributes(), { localAs: 4200000001, ibgp: false, fourOctetAs: false });
  assert.deepEqual(a[1], { typeCode: 2, flags: 0x40, segments: [{ type: 2, asns: [AS_TRANS] }] });
  assert.deepEqual(a[2], { typeCode: 17, flags: 0xc0, segments: [{ type: 2, asns: [4200000001] }] });
  const small = originatedAttributes(routeAttributes(), { localAs: 65001, ibgp: false, fourOctetAs: false });
  assert.ok(!small.some((x) => x.typeCode === 17), "no AS4_PATH when the AS fits 2 octets");
});

test("Adj-RIB-Out yields only the difference: new, changed attributes, withdrawn", () => {
  const rib = new AdjRibOut();
  const a = routeAttributes({ communities: [1] });
  const b = routeAttributes({ communities: [2] });
  const first = rib.replace([
    route(p("10.0.0.1/32"), a),
    route(p("10.0.0.2/32"), a),
    route(p("2001:db8::1/128"), a),
  ]);
  assert.equal(first.announce.length, 3);
  assert.equal(first.withdraw.length, 0);
  const same = rib.replace([
    route(p("10.0.0.1/32"), routeAttributes({ communities: [1] })),
    route(p("10.0.0.2/32"), a),
    route(p("2001:db8::1/128"), a),
  ]);
  assert.deepEqual(
    same,
    { announce: [], withdraw: [] },
    "equal attributes in another object are not a change",
  );
  const next = rib.replace([route(p("10.0.0.1/32"), b), route(p("2001:db8::1/128"), a)]);
  assert.deepEqual(
    next.announce.map((r) => String(r.prefix)),
    ["10.0.0.1/32"],
  );
  assert.deepEqual(next.withdraw.map(String), ["10.0.0.2/32"]);
  assert.equal(rib.count(4), 1);
  assert.equal(rib.count(6), 1);
});
