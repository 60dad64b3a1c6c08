/**
 * plan() properties over random configs and clusters (fixed seeds):
 * - deterministic, and independent of the order of Services, Nodes and EndpointSlices;
 * - a node that is excluded, cordoned or NetworkUnavailable announces nothing;
 * - every announced prefix covers an ingress IP of a bgp pool held by a Service it lists, and
 *   every address decided `announced` is covered by a route to every used peer;
 * - layer-2 entries list this node among sorted, unique, unblocked eligible nodes;
 * - diffRoutes(a, b) applied to a gives b; diffRoutes(a, a) is empty.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { IpAddress } from "../../protocol/ip/index.ts";
import type { ClusterSnapshot, EndpointSliceLike, NodeLike, ServiceLike } from "../../src/cluster/index.ts";
import { type Config, parseConfig } from "../../src/config/index.ts";
import { type Desired, diffRoutes, type PeerRoutes, plan, type Route } from "../../src/speaker/plan.ts";

const RUNS = { seed: 20260101, numRuns: 300 };
const NODES = ["n0", "n1", "n2", "n3", "n4"];
const EXCLUDE = "node.kubernetes.io/exclude-from-external-load-balancers";
/** In the v4+v6 bgp pool, the second bgp pool, the layer2 pool, and outside every pool. */
const IPS = [
  "198.51.100.1",
  "198.51.100.2",
  "198.51.100.130",
  "2001:db8:1::1",
  "2001:db8:1::8000:1",
  "203.0.113.7",
  "203.0.113.8",
  "192.168.1.241",
  "192.168.1.242",
  "10.9.9.9",
];

const adArb = fc.record({
  agg: fc.integer({ min: 24, max: 32 }),
  agg6: fc.integer({ min: 64, max: 128 }),
  localpref: fc.constantFrom(0, 100, 200),
  communities: fc.subarray(["64500:1", "64500:2", "65535:65281", "large:1:2:3"]),
});
const adsArb = fc.uniqueArray(adArb, {
  minLength: 1,
  maxLength: 3, // agg6 left out: the IPv4-only pool writes 128 for every advertisement.
  selector: (a) => JSON.stringify({ ...a, agg6: 0 }),
});

const selectorArb = fc.constantFrom(
  "",
  "  node-selectors: [{match-labels: {rack: a}}]\n",
  "  node-selectors: [{match-expressions: [{key: rack, operator: In, values: [a, b]}]}]\n",
);

const configArb: fc.Arbitrary<Config> = fc
  .record({ peers: fc.array(selectorArb, { maxLength: 3 }), ads1: adsArb, ads2: adsArb })
  .map(({ peers, ads1, ads2 }) => {
    const ad = (a: { agg: number; agg6: number; localpref: number; communities: string[] }) =>
      `  - {aggregation-length: ${a.agg}, aggregation-length-v6: ${a.agg6}, localpref: ${a.localpref}, communities: [${a.communities.map((c) => `"${c}"`).join(", ")}]}\n`;
    const text = `peers:\n${peers
      .map((sel, i) => `- peer-address: 10.0.0.${i + 1}\n  peer-asn: 64501\n  my-asn: 64500\n${sel}`)
      .join("")}address-pools:
- name: dual
  protocol: bgp
  addresses: [198.51.100.0/24, 2001:db8:1::/64]
  bgp-advertisements:
${ads1.map(ad).join("")}- name: second
  protocol: bgp
  addresses: [203.0.113.0/24]
  bgp-advertisements:
${ads2.map((a) => ad({ ...a, agg6: 128 })).join("")}- name: l2
  protocol: layer2
  addresses: [192.168.1.240/28]
`;
    const r = parseConfig(text);
    if (!r.ok) throw new Error(`${text}\n${JSON.stringify(r.errors)}`);
    return r.config;
  });

const nodeArb = (name: string): fc.Arbitrary<NodeLike> =>
  fc
    .record({
      rack: fc.constantFrom(undefined, "a", "b"),
      excluded: fc.boolean(),
      cordoned: fc.boolean(),
      netUnavailable: fc.boolean(),
    })
    .map(({ rack, excluded, cordoned, netUnavailable }) => ({
      metadata: {
        name,
        labels: { ...(rack ? { rack } : {}), ...(excluded ? { [EXCLUDE]: "" } : {}) },
      },
      spec: { unschedulable: cordoned },
      status: { conditions: [{ type: "NetworkUnavailable", status: netUnavailable ? "True" : "False" }] },
    }));

const serviceArb = (name: string): fc.Arbitrary<ServiceLike> =>
  fc
    .record({
      ns: fc.constantFrom("a", "b"),
      type: fc.constantFrom("LoadBalancer", "LoadBalancer", "LoadBalancer", "ClusterIP"),
      etp: fc.constantFrom("Cluster", "Local", undefined),
      ips: fc.subarray(IPS, { maxLength: 2 }),
    })
    .map(({ ns, type, etp, ips }) => ({
      metadata: { namespace: ns, name },
      spec: { type, ...(etp ? { externalTrafficPolicy: etp } : {}) },
      status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
    }));

const sliceArb = (i: number, services: readonly ServiceLike[]): fc.Arbitrary<EndpointSliceLike> =>
  fc
    .record({
      svc: fc.constantFrom(...services),
      endpoints: fc.array(
        fc.record({
          node: fc.constantFrom(...NODES),
          ready: fc.constantFrom(true, false, null),
          serving: fc.constantFrom(true, false, null),
          terminating: fc.constantFrom(true, false, null),
        }),
        { maxLength: 3 },
      ),
    })
    .map(({ svc, endpoints }) => ({
      metadata: {
        namespace: svc.metadata.namespace!,
        name: `slice-${i}`,
        labels: { "kubernetes.io/service-name": svc.metadata.name },
      },
      addressType: "IPv4",
      endpoints: endpoints.map((e) => ({
        addresses: ["10.244.0.1"],
        nodeName: e.node,
        conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
      })),
    }));

const snapshotArb: fc.Arbitrary<ClusterSnapshot> = fc
  .record({
    nodes: fc.subarray(NODES).chain((names) => fc.tuple(...names.map(nodeArb))),
    services: fc
      .integer({ min: 0, max: 6 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => serviceArb(`s${i}`)))),
  })
  .chain(({ nodes, services }) =>
    (services.length === 0
      ? fc.constant([] as EndpointSliceLike[])
      : fc
          .integer({ min: 0, max: 5 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => sliceArb(i, services))))
    ).map((endpointSlices) => ({ configMap: undefined, services, nodes, endpointSlices })),
  );

const shuffled = <T>(xs: readonly T[]): fc.Arbitrary<T[]> =>
  fc.shuffledSubarray([...xs], { minLength: xs.length, maxLength: xs.length });

const caseArb = fc.record({ config: configArb, snapshot: snapshotArb, node: fc.constantFrom(...NODES) });

function blocked(s: ClusterSnapshot, node: string): boolean {
  const n = s.nodes.find((x) => x.metadata.name === node);
  if (n === undefined) return s.nodes.length > 0;
  return (
    EXCLUDE in (n.metadata.labels ?? {}) ||
    n.spec?.unschedulable === true ||
    (n.status?.conditions ?? []).some((c) => c.type === "NetworkUnavailable" && c.status === "True")
  );
}

function apply(
  before: readonly PeerRoutes[],
  after: readonly PeerRoutes[],
): Map<string, Map<string, string>> {
  const view = (rs: readonly Route[]) =>
    new Map(rs.map((r) => [r.prefix.toString(), JSON.stringify([r.communities, r.localPref])]));
  const state = new Map(before.map((p) => [p.key, view(p.routes)]));
  for (const d of diffRoutes(before, after)) {
    const m = state.get(d.key) ?? new Map<string, string>();
    for (const p of d.withdraw) m.delete(p.toString());
    for (const [k, v] of view(d.announce)) m.set(k, v);
    state.set(d.key, m);
  }
  for (const [k, m] of state) if (m.size === 0) state.delete(k);
  const want = new Map(after.map((p) => [p.key, view(p.routes)]));
  for (const [k, m] of want) if (m.size === 0) want.delete(k);
  assert.deepEqual(state, want);
  return state;
}

const bgpPool = (c: Config, ip: IpAddress) =>
  c.addressPools.find(
    (p) =>
      p.protocol === "bgp" &&
      p.ranges.some(
        (r) => r.first.family === ip.family && r.first.compare(ip) <= 0 && ip.compare(r.last) <= 0,
      ),
  );

describe("plan properties", () => {
  it("is deterministic and independent of input order", () => {
    fc.assert(
      fc.property(
        caseArb.chain((c) =>
          fc.record({
            c: fc.constant(c),
            services: shuffled(c.snapshot.services),
            nodes: shuffled(c.snapshot.nodes),
            slices: shuffled(c.snapshot.endpointSlices),
          }),
        ),
        ({ c, services, nodes, slices }) => {
          const a = plan(c.config, c.snapshot, c.node);
          assert.deepEqual(plan(c.config, c.snapshot, c.node), a);
          const b = plan(c.config, { ...c.snapshot, services, nodes, endpointSlices: slices }, c.node);
          assert.deepEqual(b, a);
        },
      ),
      RUNS,
    );
  });

  it("an excluded, cordoned or NetworkUnavailable node announces nothing", () => {
    const block = fc.constantFrom<(n: NodeLike) => NodeLike>(
      (n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, [EXCLUDE]: "true" } } }),
      (n) => ({ ...n, spec: { unschedulable: true } }),
      (n) => ({ ...n, status: { conditions: [{ type: "NetworkUnavailable", status: "True" }] } }),
    );
    fc.assert(
      fc.property(caseArb, block, (c, f) => {
        const nodes = c.snapshot.nodes.some((n) => n.metadata.name === c.node)
          ? c.snapshot.nodes.map((n) => (n.metadata.name === c.node ? f(n) : n))
          : [...c.snapshot.nodes, f({ metadata: { name: c.node } })];
        const d = plan(c.config, { ...c.snapshot, nodes }, c.node);
        for (const p of d.bgp) assert.deepEqual(p.routes, []);
        assert.deepEqual(d.l2, []);
        for (const s of d.services) assert.equal(s.announced, false);
      }),
      RUNS,
    );
  });

  it("announced prefixes cover bgp-pool ingress IPs of the Services they list, and every announced address is covered", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const d: Desired = plan(c.config, c.snapshot, c.node);
        const byKey = new Map(d.services.map((s) => [s.key, s]));
        for (const p of d.bgp) {
          for (const r of p.routes) {
            assert.ok(r.services.length > 0);
            for (const key of r.services) {
              const s = byKey.get(key);
              assert.ok(s?.announced, `${key} is listed but not announced`);
              assert.ok(
                s.addresses.some((a) => a.announced && bgpPool(c.config, a.ip) && r.prefix.contains(a.ip)),
                `${r.prefix} covers no announced bgp address of ${key}`,
              );
            }
          }
        }
        for (const s of d.services)
          for (const a of s.addresses) {
            if (!a.announced) continue;
            assert.equal(a.protocol, "bgp");
            assert.ok(d.bgp.length > 0);
            for (const p of d.bgp)
              assert.ok(p.routes.some((r) => r.prefix.contains(a.ip) && r.services.includes(s.key)));
          }
        if (blocked(c.snapshot, c.node)) for (const p of d.bgp) assert.deepEqual(p.routes, []);
      }),
      RUNS,
    );
  });

  it("layer-2 entries: this node among sorted, unique, unblocked eligible nodes", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const d = plan(c.config, c.snapshot, c.node);
        for (const e of d.l2) {
          assert.ok(e.eligibleNodes.includes(c.node));
          assert.deepEqual([...new Set(e.eligibleNodes)].sort(), e.eligibleNodes);
          for (const n of e.eligibleNodes) assert.equal(blocked(c.snapshot, n), false, n);
          assert.ok(e.services.length > 0);
        }
      }),
      RUNS,
    );
  });

  it("diffRoutes(a, b) turns a into b; diffRoutes(a, a) is empty", () => {
    fc.assert(
      fc.property(caseArb, snapshotArb, fc.constantFrom(...NODES), (c, other, node2) => {
        const a = plan(c.config, c.snapshot, c.node).bgp;
        const b = plan(c.config, other, node2).bgp;
        assert.deepEqual(diffRoutes(a, a), []);
        apply(a, b);
        apply(b, a);
      }),
      RUNS,
    );
  });

  it("sanity: the generators reach announced, layer2 and every blocking reason", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(caseArb, (c) => {
        for (const s of plan(c.config, c.snapshot, c.node).services) seen.add(s.reason);
      }),
      RUNS,
    );
    for (const r of [
      "announced",
      "layer2",
      "noIngressIp",
      "notInAnyPool",
      "nodeExcluded",
      "nodeCordoned",
      "nodeNetworkUnavailable",
      "nodeUnknown",
      "noLocalEndpoints",
      "noEndpoints",
      "noMatchingPeer",
    ])
      assert.ok(seen.has(r), `never saw ${r}`);
  });
});
