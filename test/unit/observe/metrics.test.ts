/** A scrape reads the process's status once, however many gauges it fills (perScrape). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { perScrape, speakerMetrics } from "../../../src/observe/metrics.ts";
import type { SpeakerStatus } from "../../../src/speaker/speaker.ts";

test("one status read per scrape, a fresh one for the next", async () => {
  let reads = 0;
  const status = { node: "n1", config: { state: "missing" }, listener: undefined, peers: [], services: [] };
  const registry = speakerMetrics(() => {
    reads++;
    return status as unknown as SpeakerStatus;
  });
  await registry.metrics();
  assert.equal(reads, 1);
  await registry.metrics();
  assert.equal(reads, 2);
});

test("perScrape keeps a value until the next microtask", async () => {
  let n = 0;
  const read = perScrape(() => ++n);
  assert.equal(read(), 1);
  assert.equal(read(), 1);
  await Promise.resolve();
  assert.equal(read(), 2);
});
