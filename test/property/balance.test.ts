/**
 * Rack balance properties (fixed seeds):
 * - shares sum to 1, equal-cost and weighted, per node and per rack;
 * - racks of equal size give ratio 1 (and with equal endpoints per node, per endpoint too);
 * - the ratio grows as racks skew: one rack of m nodes against one of n, n growing;
 * - the ratio is never below 1, and link-bandwidth weights make every split fair;
 * - analyzeBalance over random clusters: the same properties per Service, a warning exactly
 *   when the ratio is above the threshold and the pool does not weight, and a result that
 *   does not depend on the order of Nodes;
 * - the nodes the analysis counts are exactly those plan() announces from, node by node, and
 *   the weight it reports is the link bandwidth plan() puts on that node's route.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { ClusterSnapshot, NodeLike } from "../../src/cluster/index.ts";
import { parseConfig } from "../../src/config/index.ts";
import { announcers } from "../../src/speaker/balance/announcers.ts";
import {
  type Announcer,
  analyzeBalance,
  equalCostSplit,
  imbalanceRatio,
  LINK_BANDWIDTH_UNIT,
  weightedSplit,
} from "../../src/speaker/balance/index.ts";
import { plan } from "../../src/speaker/plan.ts";

const RUNS = { seed: 20261127, numRuns: 300 };
const EPS = 1e-9;

/** Up to 6 racks of 1–8 nodes, each node with 1–5 endpoints, weight = endpoints (Local). */
const announcersArb: fc.Arbitrary<Announcer[]> = fc
  .array(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }), {
    minLength: 1,
    maxLength: 6,
  })
  .map((racks) =>
    racks.flatMap((eps, r) =>
      eps.map((e, i) => ({ node: `r${r}-n${i}`, rack: `r${r}`, endpoints: e, weight: e })),
    ),
  );

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** m nodes in one rack, n in another, `e` endpoints each. */
function twoRacks(m: number, n: number, e = 1): Announcer[] {
  const nodes = (rack: string, k: number) =>
    Array.from({ length: k }, (_, i) => ({ node: `${rack}-${i}`, rack, endpoints: e, weight: e }));
  return [...nodes("a", m), ...nodes("b", n)];
}

describe("shares", () => {
  it("sum to 1, equal-cost and weighted; every rack gets 1/racks under equal cost", () => {
    fc.assert(
      fc.property(announcersArb, (as) => {
        for (const split of [equalCostSplit(as), weightedSplit(as)]) {
          assert.equal(split.length, as.length);
          assert.ok(Math.abs(sum(split.map((s) => s.share)) - 1) < EPS);
          assert.ok(split.every((s) => s.share > 0));
        }
        const racks = new Set(as.map((a) => a.rack));
        for (const r of racks) {
          const share = sum(
            equalCostSplit(as)
              .filter((s) => s.rack === r)
              .map((s) => s.share),
          );
          assert.ok(Math.abs(share - 1 / racks.size) < EPS);
        }
      }),
      RUNS,
    );
  });

  it("the ratio is at least 1, and weighting by endpoints makes it exactly 1", () => {
    fc.assert(
      fc.property(announcersArb, (as) => {
        for (const unit of ["node", "endpoint"] as const) {
          assert.ok(imbalanceRatio(equalCostSplit(as), as, unit)! >= 1 - EPS);
        }
        assert.ok(Math.abs(imbalanceRatio(weightedSplit(as), as, "endpoint")! - 1) < EPS);
        const perNode = as.map((a) => ({ ...a, weight: 1 }));
        assert.ok(Math.abs(imbalanceRatio(weightedSplit(perNode), perNode, "node")! - 1) < EPS);
      }),
      RUNS,
    );
  });

  it("equal racks give ratio 1", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 5 }),
        (racks, size, endpoints) => {
          const as: Announcer[] = [];
          for (let r = 0; r < racks; r++)
            for (let i = 0; i < size; i++) as.push({ node: `${r}-${i}`, rack: `${r}`, endpoints, weight: 1 });
          const split = equalCostSplit(as);
          assert.ok(Math.abs(imbalanceRatio(split, as, "node")! - 1) < EPS);
          assert.ok(Math.abs(imbalanceRatio(split, as, "endpoint")! - 1) < EPS);
        },
      ),
      RUNS,
    );
  });

  it("the ratio grows as racks skew: (m + n) / 2m for racks of m ≤ n nodes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        (m, extra, more) => {
          const n = m + extra;
          const ratio = (k: number) => {
            const as = twoRacks(m, k);
            return imbalanceRatio(equalCostSplit(as), as, "node")!;
          };
          assert.ok(Math.abs(ratio(n) - (m + n) / (2 * m)) < EPS);
          assert.ok(ratio(n + more) > ratio(n));
        },
      ),
      RUNS,
    );
  });
});

describe("analyzeBalance over random clusters", () => {
  const nodeArb = fc.record({
    rack: fc.constantFrom("r1", "r2", "r3", undefined),
    endpoints: fc.integer({ min: 0, max: 3 }),
    excluded: fc.boolean(),
  });
  const clusterArb = fc.record({
    nodes: fc.array(nodeArb, { minLength: 1, maxLength: 8 }),
    local: fc.boolean(),
    weighted: fc.boolean(),
    threshold: fc.constantFrom("1", "1.25", "1.5", "3"),
    order: fc.func(fc.integer()),
  });

  type Cluster = typeof clusterArb extends fc.Arbitrary<infer T> ? T : never;

  function build(c: Cluster) {
    const text = `peers:
- peer-address: 10.0.0.1
  peer-asn: 64501
  my-asn: 64500
address-pools:
- name: web
  protocol: bgp
  addresses: [198.51.100.0/24]
  link-bandwidth: ${c.weighted ? "endpoints" : "off"}
rack-balance:
  imbalance-threshold: ${c.threshold}
`;
    const r = parseConfig(text);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const nodes: NodeLike[] = c.nodes.map((n, i) => ({
      metadata: {
        name: `n${i}`,
        labels: {
          ...(n.rack === undefined ? {} : { "topology.kubernetes.io/zone": n.rack }),
          ...(n.excluded ? { "node.kubernetes.io/exclude-from-external-load-balancers": "" } : {}),
        },
      },
    }));
    const endpoints = c.nodes.flatMap((n, i) =>
      Array.from({ length: n.endpoints }, () => ({ conditions: { ready: true }, nodeName: `n${i}` })),
    );
    const snapshot: ClusterSnapshot = {
      configMap: undefined,
      nodes,
      services: [
        {
          metadata: { namespace: "ns", name: "web" },
          spec: { type: "LoadBalancer", externalTrafficPolicy: c.local ? "Local" : "Cluster" },
          status: { loadBalancer: { ingress: [{ ip: "198.51.100.1" }] } },
        },
      ],
      endpointSlices: [
        {
          metadata: { namespace: "ns", name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
          addressType: "IPv4",
          endpoints,
        },
      ],
    };
    return { config: r.config, snapshot };
  }

  it("shares sum to 1, ratio ≥ 1, warning iff above the threshold and not weighted, order-independent", () => {
    fc.assert(
      fc.property(clusterArb, (c) => {
        const { config, snapshot } = build(c);
        const report = analyzeBalance(config, snapshot);
        for (const s of report.services) {
          assert.ok(Math.abs(sum(s.nodes.map((n) => n.share)) - 1) < EPS);
          assert.ok(Math.abs(sum(s.racks.map((r) => r.share)) - 1) < EPS);
          assert.ok(Math.abs(sum(s.nodes.map((n) => n.weightedShare)) - 1) < EPS);
          assert.ok(s.imbalance >= 1 - EPS);
          assert.ok(Math.abs(s.weightedImbalance - 1) < EPS, "link-bandwidth weights are fair");
          const threshold = Number(c.threshold);
          assert.equal(s.warning !== undefined, s.imbalance > threshold && !c.weighted, s.summary);
          assert.ok(s.nodes.every((n) => !c.nodes[Number(n.node.slice(1))]!.excluded));
          if (c.local) assert.ok(s.nodes.every((n) => (n.endpoints ?? 0) > 0));
          else assert.ok(s.nodes.every((n) => n.endpoints === undefined));
        }
        const shuffled = { ...snapshot, nodes: [...snapshot.nodes].sort((a, b) => c.order(a) - c.order(b)) };
        assert.deepEqual(analyzeBalance(config, shuffled), report);
      }),
      { ...RUNS, numRuns: 150 },
    );
  });
});

describe("the analysis agrees with plan()", () => {
  const nodeArb = fc.record({
    rack: fc.constantFrom("a", "b"),
    cordoned: fc.boolean(),
    excluded: fc.boolean(),
  });
  const svcArb = fc.record({
    ip: fc.constantFrom("198.51.100.1", "198.51.100.2", "203.0.113.1", "192.168.1.1", "10.9.9.9"),
    local: fc.boolean(),
    lbClass: fc.constantFrom(undefined, undefined, "other"),
    endpoints: fc.array(fc.record({ node: fc.integer({ min: 0, max: 5 }), ready: fc.boolean() }), {
      maxLength: 6,
    }),
  });
  const worldArb = fc.record({
    nodes: fc.array(nodeArb, { minLength: 1, maxLength: 6 }),
    services: fc.array(svcArb, { minLength: 1, maxLength: 4 }),
    selectors: fc.boolean(),
  });
  const config = (selectors: boolean) => {
    const sel = (rack: string) => (selectors ? `  node-selectors: [{match-labels: {rack: ${rack}}}]\n` : "");
    const r = parseConfig(`peers:
- peer-address: 10.0.1.1
  peer-asn: 65001
  my-asn: 64500
${sel("a")}- peer-address: 10.0.2.1
  peer-asn: 65002
  my-asn: 64500
${sel("b")}address-pools:
- name: weighted
  protocol: bgp
  addresses: [198.51.100.0/24]
  link-bandwidth: endpoints
- name: plain
  protocol: bgp
  addresses: [203.0.113.0/24]
- name: l2
  protocol: layer2
  addresses: [192.168.1.0/24]
`);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.config;
  };

  it("same announcing nodes, same pools, same weights", () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const c = config(w.selectors);
        const snapshot: ClusterSnapshot = {
          configMap: undefined,
          nodes: w.nodes.map((n, i) => ({
            metadata: {
              name: `n${i}`,
              labels: {
                rack: n.rack,
                ...(n.excluded ? { "node.kubernetes.io/exclude-from-external-load-balancers": "" } : {}),
              },
            },
            spec: { unschedulable: n.cordoned },
          })),
          services: w.services.map((s, i) => ({
            metadata: { namespace: "ns", name: `s${i}` },
            spec: {
              type: "LoadBalancer",
              externalTrafficPolicy: s.local ? "Local" : "Cluster",
              ...(s.lbClass === undefined ? {} : { loadBalancerClass: s.lbClass }),
            },
            status: { loadBalancer: { ingress: [{ ip: s.ip }] } },
          })),
          endpointSlices: w.services.map((s, i) => ({
            metadata: { namespace: "ns", name: `s${i}-1`, labels: { "kubernetes.io/service-name": `s${i}` } },
            addressType: "IPv4",
            endpoints: s.endpoints.map((e) => ({ conditions: { ready: e.ready }, nodeName: `n${e.node}` })),
          })),
        };
        const got = announcers(c, snapshot);
        const report = analyzeBalance(c, snapshot);
        for (let i = 0; i < w.nodes.length; i++) {
          const name = `n${i}`;
          const d = plan(c, snapshot, name);
          for (const s of d.services) {
            const bgp = s.addresses.filter((a) => a.announced && a.protocol === "bgp");
            const entry = got.byService.get(s.key);
            assert.equal(entry?.nodes.includes(name) ?? false, bgp.length > 0, `${name} ${s.key}`);
            if (bgp.length === 0) continue;
            assert.deepEqual(entry?.pools, [...new Set(bgp.map((a) => a.pool))].sort());
            // The weights the analysis reports are what this node announces (summed over the
            // Services sharing the prefix).
            const weightOf = (key: string) =>
              report.services.find((x) => x.service === key)!.nodes.find((n) => n.node === name)!.weight;
            const route = d.bgp[0]!.routes.find((r) => r.services.includes(s.key))!;
            if (s.addresses.some((a) => a.pool === "weighted"))
              assert.equal(
                route.linkBandwidth,
                route.services.reduce((sum, k) => sum + weightOf(k), 0) * LINK_BANDWIDTH_UNIT,
              );
            else assert.equal(route.linkBandwidth, undefined);
          }
        }
      }),
      { ...RUNS, numRuns: 200 },
    );
  });
});
