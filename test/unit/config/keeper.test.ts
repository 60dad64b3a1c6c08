/** ConfigKeeper: the last good config runs on through rejected texts; the same text is parsed once. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigKeeper, type ConfigState } from "../../../src/config/keeper.ts";

const GOOD = "address-pools:\n- name: a\n  protocol: bgp\n  addresses: [192.0.2.0/30]\n";
const BAD = "address-pools:\n- name: a\n  protocol: bgp\n  addresses: [192.0.2.0/33]\n";

/** Read through a function: assertions on one read must not narrow the next. */
const stateOf = (k: ConfigKeeper): ConfigState => k.state;
const running = (k: ConfigKeeper) => {
  const s = stateOf(k);
  return s.state === "invalid" ? s.running : undefined;
};

test("missing, then loaded, then rejected with the last good kept, then loaded again", () => {
  const k = new ConfigKeeper();
  assert.equal(k.update(undefined), "unchanged");
  assert.equal(stateOf(k).state, "missing");
  assert.equal(k.update({ text: BAD, origin: "x" }), "rejected");
  assert.equal(running(k), "none");
  assert.equal(k.config === undefined, true);
  assert.equal(k.update({ text: GOOD, origin: "x" }), "loaded");
  const good = k.config;
  assert.equal(good?.addressPools[0]?.name, "a");
  assert.equal(k.update({ text: GOOD, origin: "x" }), "unchanged", "the same text is not parsed again");
  assert.equal(k.update({ text: BAD, origin: "x" }), "rejected");
  assert.equal(running(k), "last-good");
  const s = stateOf(k);
  assert.match(s.state === "invalid" ? s.errors.join() : "", /addresses\[0\]/);
  assert.equal(k.config, good, "the last good config runs on");
  assert.equal(k.stale, true);
  assert.equal(k.rejections, 2);
  assert.equal(k.update(undefined), "unchanged", "a ConfigMap gone from view changes nothing");
  assert.equal(k.config, good);
});
