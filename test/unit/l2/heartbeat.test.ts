/**
 * The speakers' heartbeat (protocol/l2/heartbeat.ts): byte layout, round trip, every decoder
 * error, random bytes never throw, and the BPF filter lets heartbeats through.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  decodeEthernet,
  decodeHeartbeat,
  encodeHeartbeat,
  HEARTBEAT_ETHERTYPE,
  HEARTBEAT_GROUP,
  type Heartbeat,
  heartbeatFrame,
  MacAddress,
  neighborFilterBytes,
} from "../../../protocol/l2/index.ts";
import { runBpf } from "./bpf-vm.ts";

const HB: Heartbeat = {
  node: "node-1",
  incarnation: 0xdeadbeef,
  sequence: 7,
  intervalMs: 100,
  holdMs: 350,
  ready: true,
  leaving: false,
};
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("heartbeat: exact bytes and round trip", () => {
  const b = encodeHeartbeat(HB);
  assert.equal(
    hex(b),
    `5342 01 01 0064 015e deadbeef 00000007 06 ${hex(Buffer.from("node-1"))}`.replace(/ /g, ""),
  );
  assert.deepEqual(decodeHeartbeat(b), { ok: true, value: HB });
  const leaving = { ...HB, ready: false, leaving: true };
  assert.deepEqual(decodeHeartbeat(encodeHeartbeat(leaving)), { ok: true, value: leaving });
});

test("heartbeat frame: to the group address, EtherType 0x88B5, padded; padding ignored", () => {
  const f = heartbeatFrame(MacAddress.of("02:00:00:00:00:01"), HB);
  assert.equal(f.length, 60);
  const eth = decodeEthernet(f);
  assert.ok(eth.ok);
  assert.ok(eth.value.destination.equals(HEARTBEAT_GROUP));
  assert.ok(eth.value.destination.isMulticast);
  assert.equal(eth.value.etherType, HEARTBEAT_ETHERTYPE);
  assert.deepEqual(decodeHeartbeat(eth.value.payload), { ok: true, value: HB });
});

test("heartbeat decoder: every malformed input is a typed error", () => {
  const good = encodeHeartbeat(HB);
  const kind = (b: Uint8Array) => {
    const r = decodeHeartbeat(b);
    return r.ok ? "ok" : r.error.kind;
  };
  assert.equal(kind(new Uint8Array(0)), "heartbeat-truncated");
  assert.equal(kind(good.subarray(0, 16)), "heartbeat-truncated");
  assert.equal(kind(good.subarray(0, good.length - 1)), "heartbeat-truncated", "name cut short");
  const bad = (at: number, v: number) => {
    const c = Uint8Array.from(good);
    c[at] = v;
    return c;
  };
  assert.equal(kind(bad(0, 0x00)), "heartbeat-magic");
  assert.equal(kind(bad(2, 2)), "heartbeat-version");
  assert.equal(kind(bad(16, 0)), "heartbeat-name", "empty name");
  assert.equal(kind(bad(17, 0x20)), "heartbeat-name", "a space");
  assert.equal(kind(bad(17, 0xc3)), "heartbeat-name", "not ASCII");
  assert.equal(kind(bad(5, 0)), "heartbeat-timers", "interval 0");
  const shortHold = Uint8Array.from(good);
  shortHold[6] = 0;
  shortHold[7] = 50;
  assert.equal(kind(shortHold), "heartbeat-timers", "hold shorter than the interval");
  assert.throws(() => encodeHeartbeat({ ...HB, node: "" }), RangeError);
  assert.throws(() => encodeHeartbeat({ ...HB, node: "x".repeat(254) }), RangeError);
});

test("heartbeat decoder: random bytes never throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const r = decodeHeartbeat(b);
      assert.ok(r.ok || typeof r.error.reason === "string");
    }),
    { seed: 88, numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.record({
        node: fc.stringMatching(/^[a-z0-9.-]{1,253}$/),
        incarnation: fc.nat({ max: 0xffffffff }),
        sequence: fc.nat({ max: 0xffffffff }),
        intervalMs: fc.integer({ min: 1, max: 1000 }),
        holdMs: fc.integer({ min: 1000, max: 0xffff }),
        ready: fc.boolean(),
        leaving: fc.boolean(),
      }),
      (h) => assert.deepEqual(decodeHeartbeat(encodeHeartbeat(h)), { ok: true, value: { ...h } }),
    ),
    { seed: 89, numRuns: 300 },
  );
});

test("BPF filter: heartbeats pass, other experimental or unknown EtherTypes do not", () => {
  const prog = neighborFilterBytes();
  const f = heartbeatFrame(MacAddress.of("02:00:00:00:00:01"), HB);
  assert.ok(runBpf(prog, f) > 0);
  const other = Uint8Array.from(f);
  other[13] = 0xb6; // 0x88B6, Local Experimental EtherType 2
  assert.equal(runBpf(prog, other), 0);
  assert.equal(runBpf(prog, f.subarray(0, 13)), 0, "too short for the EtherType");
});
