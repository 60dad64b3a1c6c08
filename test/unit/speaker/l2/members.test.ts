/** Member states (src/speaker/l2/members.ts): hold time, ready, leaving, sequence, and the arbiter's margin. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Heartbeat } from "../../../../protocol/l2/index.ts";
import { FakeArbiter, noArbiter } from "../../../../src/speaker/l2/arbiter.ts";
import { Members } from "../../../../src/speaker/l2/members.ts";

const hb = (o: Partial<Heartbeat> = {}): Heartbeat => ({
  node: "b",
  incarnation: 1,
  sequence: 1,
  intervalMs: 100,
  holdMs: 350,
  ready: true,
  leaving: false,
  ...o,
});

test("alive within the sender's hold time, suspect after; warming and leaving do not count", () => {
  const m = new Members("a");
  assert.equal(m.heard(hb({ ready: false }), "eth0", 0), true, "first heard: news");
  assert.deepEqual([...m.alive(100, noArbiter)], [], "warming up");
  assert.equal(m.heard(hb({ sequence: 2 }), "eth0", 100), true, "ready now: news");
  assert.equal(m.heard(hb({ sequence: 3 }), "eth0", 200), false, "steady: no news");
  assert.equal(m.heard(hb({ sequence: 3 }), "eth1", 201), false, "same heartbeat on a second interface");
  assert.deepEqual(m.views(201, noArbiter)[0]!.via, ["eth0", "eth1"]);
  assert.deepEqual([...m.alive(550, noArbiter)], ["b"]);
  assert.deepEqual([...m.alive(551, noArbiter)], [], "hold time 350 ms ran out");
  assert.equal(m.nextExpiry(300), 550);
  assert.equal(m.heard(hb({ sequence: 9, leaving: true }), "eth0", 600), true);
  assert.equal(m.views(600, noArbiter)[0]!.state, "left");
  assert.equal(m.heard(hb({ node: "a" }), "eth0", 600), false, "our own name is never a member");
});

test("a repeated or older sequence is not news and does not refresh; a new incarnation is", () => {
  const m = new Members("a");
  m.heard(hb({ sequence: 10 }), "eth0", 0);
  assert.equal(m.heard(hb({ sequence: 9 }), "eth0", 300), false);
  assert.deepEqual([...m.alive(400, noArbiter)], [], "the stale frame did not refresh b");
  assert.equal(m.heard(hb({ sequence: 1, incarnation: 2 }), "eth0", 400), true, "restarted");
  assert.equal(m.get("b")!.lost, 0);
  m.heard(hb({ sequence: 5, incarnation: 2 }), "eth0", 500);
  assert.equal(m.get("b")!.lost, 3, "sequence 2-4 lost");
});

test("the arbiter overrules silence only with a renewal seen after suspicion began plus the margin", () => {
  const arb = new FakeArbiter();
  const m = new Members("a", { disputeMarginMs: 1000 });
  m.heard(hb(), "eth0", 0); // suspect from 350
  arb.set("b", { state: "alive", renewedAt: 1300 }); // a renewal in flight when b died, seen late
  assert.equal(m.views(2000, arb)[0]!.state, "suspect");
  arb.set("b", { state: "alive", renewedAt: 1351 });
  assert.equal(m.views(2000, arb)[0]!.state, "disputed");
  assert.deepEqual([...m.alive(2000, arb)], ["b"]);
  arb.set("b", { state: "expired" });
  assert.equal(m.views(9000, arb)[0]!.state, "suspect");
  arb.set("c", { state: "alive", renewedAt: 5000 });
  assert.ok(!m.alive(9000, arb).has("c"), "a node never heard on the segment never counts");
});
