/**
 * The speaker's rack balance wiring: the analysis runs at once on the first snapshot, then at
 * most every BALANCE_INTERVAL_MS on the latest one; a warning is logged once per change and
 * its end is logged too; /status lists per-node shares only for warned or weighted Services;
 * stop() leaves no timer behind. Driven with a fake clock, no network.
 */
import assert from "node:assert/strict";
import { Socket } from "node:net";
import { Writable } from "node:stream";
import { test } from "node:test";
import type { ClusterSnapshot, NodeLike } from "../../src/cluster/index.ts";
import { createLogger } from "../../src/observe/logger.ts";
import type { Clock } from "../../src/speaker/bgp/index.ts";
import { BALANCE_INTERVAL_MS, Speaker } from "../../src/speaker/speaker.ts";

const CONFIG = `peers:
- peer-address: 192.0.2.1
  peer-asn: 65000
  my-asn: 65001
address-pools:
- name: default
  protocol: bgp
  addresses: [198.51.100.0/24]
`;

function snapshot(r1: number, r2: number): ClusterSnapshot {
  const node = (name: string, rack: string): NodeLike => ({
    metadata: { name, labels: { "topology.kubernetes.io/zone": rack } },
  });
  return {
    configMap: { text: CONFIG, origin: "test" },
    services: [
      {
        metadata: { namespace: "default", name: "web" },
        spec: { type: "LoadBalancer" },
        status: { loadBalancer: { ingress: [{ ip: "198.51.100.7" }] } },
      },
    ],
    nodes: [
      ...Array.from({ length: r1 }, (_, i) => node(`a${i}`, "r1")),
      ...Array.from({ length: r2 }, (_, i) => node(`b${i}`, "r2")),
    ],
    endpointSlices: [],
  };
}

class FakeClock implements Clock {
  t = 0;
  timers = new Set<{ at: number; fn: () => void }>();
  now = () => this.t;
  wallNow = () => this.t;
  setTimer = (ms: number, fn: () => void) => {
    const h = { at: this.t + ms, fn };
    this.timers.add(h);
    return h;
  };
  clearTimer = (h: unknown) => {
    this.timers.delete(h as { at: number; fn: () => void });
  };
  advance(ms: number): void {
    this.t += ms;
    for (const h of [...this.timers].sort((a, b) => a.at - b.at)) {
      if (h.at > this.t) continue;
      this.timers.delete(h);
      h.fn();
    }
  }
}

test("speaker: balance analysed at once, then throttled; warnings logged once; status trimmed", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const clock = new FakeClock();
  const speaker = new Speaker({
    node: "a0",
    logger: createLogger("info", sink),
    clock,
    connect: () => new Socket(),
  });
  const uneven = () => lines.filter((l) => l.includes("uneven ECMP for Service default/web")).length;

  // 1 node in r1, 4 in r2: analysed at once.
  speaker.update(snapshot(1, 4));
  let web = speaker.status().balance?.services[0];
  assert.ok(web !== undefined);
  assert.ok(Math.abs(web.imbalance - 2.5) < 1e-9);
  assert.match(web.warning ?? "", /rack r1: 1 node announces and takes 50% of traffic/);
  assert.equal(web.nodes?.length, 5, "a warned Service lists its nodes");
  assert.equal(uneven(), 1);

  // The same picture again, later: not logged again.
  clock.advance(BALANCE_INTERVAL_MS);
  speaker.update(snapshot(1, 4));
  assert.equal(uneven(), 1);

  // Even racks within the interval: the report waits for the timer, then clears the warning.
  speaker.update(snapshot(2, 2));
  assert.ok(speaker.status().balance?.services[0]?.warning !== undefined, "not yet re-analysed");
  clock.advance(BALANCE_INTERVAL_MS - 1);
  assert.ok(speaker.status().balance?.services[0]?.warning !== undefined, "still within the interval");
  clock.advance(1);
  web = speaker.status().balance?.services[0];
  assert.equal(web?.warning, undefined);
  assert.ok(Math.abs((web?.imbalance ?? 0) - 1) < 1e-9);
  assert.equal(web?.nodes, undefined, "an even, unweighted Service lists racks only");
  assert.equal(speaker.balanceReport()?.services[0]?.nodes.length, 4, "the whole report keeps them");
  assert.equal(web?.racks.length, 2);
  assert.ok(lines.some((l) => l.includes("ECMP split of Service default/web is within the threshold again")));

  // Several updates within one interval: one analysis, of the latest snapshot.
  speaker.update(snapshot(1, 3));
  speaker.update(snapshot(1, 1));
  speaker.update(snapshot(1, 7));
  clock.advance(BALANCE_INTERVAL_MS);
  web = speaker.status().balance?.services[0];
  assert.ok(Math.abs((web?.imbalance ?? 0) - 4) < 1e-9, String(web?.imbalance));
  assert.equal(uneven(), 2);

  // A pending analysis does not outlive stop().
  speaker.update(snapshot(2, 2));
  const balanceTimer = [...clock.timers].find((h) => h.at === clock.t + BALANCE_INTERVAL_MS);
  assert.ok(balanceTimer !== undefined, "an analysis is pending");
  const stopped = speaker.stop("notify");
  assert.ok(!clock.timers.has(balanceTimer), "stop() cleared the balance timer");
  // The sessions' own stop deadline runs on the fake clock too.
  for (let i = 0; i < 10 && clock.timers.size > 0; i++) clock.advance(BALANCE_INTERVAL_MS);
  await stopped;
  assert.ok(speaker.status().balance?.services[0]?.warning !== undefined, "no analysis after stop");
});
