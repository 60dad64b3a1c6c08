/** The pure leader-election rule (client-go's): renew your own, take a released or expired Lease, else wait. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { leaseDecision } from "../../../src/cluster/kubernetes/lease.ts";

const view = (holder: string | undefined, observedAtMs: number, durationSeconds = 15) => ({
  holder,
  durationSeconds,
  transitions: 3,
  observedAtMs,
});

describe("leaseDecision", () => {
  it("creates a missing Lease", () =>
    assert.deepEqual(leaseDecision(undefined, "a", 0), { action: "create" }));
  it("renews its own", () => assert.deepEqual(leaseDecision(view("a", 0), "a", 99_000), { action: "renew" }));
  it("takes a released Lease at once", () => {
    assert.deepEqual(leaseDecision(view("", 1000), "b", 1001), { action: "acquire", reason: "released" });
    assert.deepEqual(leaseDecision(view(undefined, 1000), "b", 1001), {
      action: "acquire",
      reason: "released",
    });
  });
  it("waits while another holder's Lease is fresh, by its own observation clock", () => {
    assert.deepEqual(leaseDecision(view("a", 10_000), "b", 20_000), {
      action: "wait",
      holder: "a",
      expiresInMs: 5000,
    });
  });
  it("takes over only once a whole lease duration passed unchanged", () => {
    assert.equal(leaseDecision(view("a", 10_000), "b", 24_999).action, "wait");
    assert.deepEqual(leaseDecision(view("a", 10_000), "b", 25_000), { action: "acquire", reason: "expired" });
  });
});
