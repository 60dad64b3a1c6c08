/** ConfigKeeper: the last good config runs on through rejected texts; the same text is parsed once. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigKeeper } from "../../../src/config/keeper.ts";

const GOOD = "address-pools:\n- name: a\n  protocol: bgp\n  addresses: [192.0.2.0/30]\n";
const BAD = "address-pools:\n- name: a\n  protocol: bgp\n  addresses: [192.0.2.0/33]\n";

test("missing, then loaded, then rejected with the last good kept, then loaded again", () => {
  const k = new ConfigKeeper();
  assert.equal(k.update(undefined), "unchanged");
  assert.deepEqual(k.state, { state: "missing" });
  assert.equal(k.update({ text: BAD, origin: "x" }), "rejected");
  assert.ok(k.state.state === "invalid" && k.state.running === "none");
  assert.equal(k.config, undefined);
  assert.equal(k.update({ text: GOOD, origin: "x" }), "loaded");
  const good = k.config;
  assert.equal(good?.addressPools[0]?.name, "a");
  assert.equal(k.update({ text: GOOD, origin: "x" }), "unchanged", "the same text is not parsed again");
  assert.equal(k.update({ text: BAD, origin: "x" }), "rejected");
  assert.ok(k.state.state === "invalid" && k.state.running === "last-good");
  assert.ok(k.state.state === "invalid" && /addresses\[0\]/.test(k.state.errors.join()));
  assert.equal(k.config, good, "the last good config runs on");
  assert.equal(k.stale, true);
  assert.equal(k.rejections, 2);
  assert.equal(k.update(undefined), "unchanged", "a ConfigMap gone from view changes nothing");
  assert.equal(k.config, good);
});
