/**
 * Properties of the layer-2 election (src/speaker/l2/election.ts): the same answer whatever
 * the input order; a winner only among eligible live nodes; with uniform eligibility the
 * loads differ by at most one, alive or after failures; an address whose home is alive never
 * moves; and the comparison with MetalLB's plain rendezvous order (#2284).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { type ElectionInput, hashString, homes, score, winners } from "../../src/speaker/l2/election.ts";

const RUNS = { seed: 2284, numRuns: 200 };

const nodeNames = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), {
  minLength: 1,
  maxLength: 12,
});

const ipKeys = (n: number) =>
  Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

function loadsOf(w: Map<string, { winner: string | undefined }>): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of w.values()) if (x.winner !== undefined) out.set(x.winner, (out.get(x.winner) ?? 0) + 1);
  return out;
}

function spread(nodes: readonly string[], loads: Map<string, number>): number {
  const v = nodes.map((n) => loads.get(n) ?? 0);
  return Math.max(...v) - Math.min(...v);
}

test("uniform eligibility: loads differ by at most one, all alive and after any failures", () => {
  fc.assert(
    fc.property(
      nodeNames,
      fc.integer({ min: 0, max: 300 }),
      fc.array(fc.boolean(), { maxLength: 12 }),
      (nodes, m, deadMask) => {
        const inputs: ElectionInput[] = ipKeys(m).map((key) => ({ key, eligible: nodes }));
        const h = homes(inputs);
        const all = winners(h, new Set(nodes));
        assert.ok(spread(nodes, loadsOf(all)) <= 1);
        const alive = nodes.filter((_, i) => !deadMask[i]);
        const w = winners(h, new Set(alive));
        if (alive.length > 0) assert.ok(spread(alive, loadsOf(w)) <= 1, `after failures: ${[...loadsOf(w)]}`);
        for (const [key, x] of w) {
          if (alive.length === 0) assert.equal(x.winner, undefined);
          else assert.ok(alive.includes(x.winner!), key);
          // Stability: an address whose home is alive stays home.
          if (alive.includes(h.get(key)!.home!)) assert.equal(x.winner, h.get(key)!.home);
        }
      },
    ),
    RUNS,
  );
});

test("any eligibility: same result whatever the order; winners eligible and alive", () => {
  const arb = fc
    .tuple(nodeNames, fc.integer({ min: 1, max: 80 }))
    .chain(([nodes, m]) =>
      fc.tuple(
        fc.constant(nodes),
        fc.array(fc.subarray(nodes), { minLength: m, maxLength: m }),
        fc.subarray(nodes),
        fc.nat(),
      ),
    );
  fc.assert(
    fc.property(arb, ([, eligibles, alive, seed]) => {
      const inputs = eligibles.map((eligible, i) => ({ key: `192.0.2.${i}`, eligible }));
      const shuffled = [...inputs]
        .map((x, i) => ({ x, k: hashString(`${seed}:${i}`) }))
        .sort((a, b) => a.k - b.k)
        .map(({ x }) => ({ key: x.key, eligible: [...x.eligible].reverse() }));
      const a = winners(homes(inputs), new Set(alive));
      const b = winners(homes(shuffled), new Set(alive));
      assert.deepEqual(new Map([...a].sort()), new Map([...b].sort()));
      for (const inp of inputs) {
        const w = a.get(inp.key)!.winner;
        const live = inp.eligible.filter((n) => alive.includes(n));
        if (live.length === 0) assert.equal(w, undefined);
        else assert.ok(live.includes(w!));
      }
    }),
    RUNS,
  );
});

test("failover load: a dead node's addresses spread over the survivors, not onto one", () => {
  const nodes = Array.from({ length: 10 }, (_, i) => `node-${i}`);
  const inputs = ipKeys(1000).map((key) => ({ key, eligible: nodes }));
  const h = homes(inputs);
  const alive = new Set(nodes.slice(1));
  const w = winners(h, alive);
  const moved = [...w].filter(([k, x]) => x.winner !== h.get(k)!.home);
  assert.equal(moved.length, 100, "only node-0's 100 addresses move");
  const receivers = new Set(moved.map(([, x]) => x.winner));
  assert.equal(receivers.size, 9, "every survivor takes a share");
  assert.ok(spread([...alive], loadsOf(w)) <= 1);
});

test("MetalLB's order (first by rendezvous score) bunches; ours does not (#2284)", () => {
  // 3 nodes, 12 Services: what MetalLB users report as "all my IPs on one node".
  let worst = 0;
  for (let trial = 0; trial < 200; trial++) {
    const nodes = ["n1", "n2", "n3"].map((n) => `${n}-${trial}`);
    const keys = ipKeys(12);
    const hrw = new Map<string, number>();
    for (const k of keys) {
      const best = [...nodes].sort(
        (a, b) => score(hashString(b), hashString(k)) - score(hashString(a), hashString(k)),
      )[0]!;
      hrw.set(best, (hrw.get(best) ?? 0) + 1);
    }
    worst = Math.max(worst, spread(nodes, hrw));
    const ours = winners(homes(keys.map((key) => ({ key, eligible: nodes }))), new Set(nodes));
    assert.equal(spread(nodes, loadsOf(ours)), 0);
  }
  assert.ok(worst >= 6, `plain rendezvous hashing reaches a spread of ${worst} in 200 trials`);
});

test("a node joining or leaving the cluster (new homes) moves little more than its own share", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 20 }),
      fc.integer({ min: 20, max: 600 }),
      fc.nat(),
      (n, m, salt) => {
        const nodes = Array.from({ length: n }, (_, i) => `node-${salt}-${i}`);
        const keys = ipKeys(m);
        const before = homes(keys.map((key) => ({ key, eligible: nodes })));
        const joined = homes(keys.map((key) => ({ key, eligible: [...nodes, "newcomer"] })));
        const moved = keys.filter((k) => before.get(k)!.home !== joined.get(k)!.home).length;
        const share = Math.ceil(m / (n + 1));
        assert.ok(moved <= 2 * share + n, `join: ${moved} moved, fair share ${share}`);
        const left = homes(keys.map((key) => ({ key, eligible: nodes.slice(1) })));
        const unrelated = keys.filter(
          (k) => before.get(k)!.home !== nodes[0] && before.get(k)!.home !== left.get(k)!.home,
        ).length;
        assert.ok(unrelated <= Math.ceil(m / n) + n, `leave: ${unrelated} unrelated moves`);
      },
    ),
    { seed: 2285, numRuns: 60 },
  );
});
