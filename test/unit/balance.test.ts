/**
 * Rack balance (issue #8): analyzeBalance() on small clusters whose shares can be worked out
 * by hand, the warning words, the weights plan() puts on routes, the events for the
 * controller, the metrics, and the Link Bandwidth community's two encodings.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LINK_BANDWIDTH, linkBandwidth, parseLinkBandwidth } from "../../protocol/bgp/index.ts";
import type { ClusterSnapshot, EndpointSliceLike, NodeLike, ServiceLike } from "../../src/cluster/index.ts";
import { type Config, parseConfig } from "../../src/config/index.ts";
import { speakerMetrics } from "../../src/observe/metrics.ts";
import {
  analyzeBalance,
  balanceEvents,
  LINK_BANDWIDTH_UNIT,
  percent,
  ratio,
  type ServiceBalance,
} from "../../src/speaker/balance/index.ts";
import { diffRoutes, plan } from "../../src/speaker/plan.ts";
import type { SpeakerStatus } from "../../src/speaker/speaker.ts";

const ZONE = "topology.kubernetes.io/zone";

function config(extra = "", poolExtra = ""): Config {
  const text = `peers:
- peer-address: 10.0.0.1
  peer-asn: 64501
  my-asn: 64500
address-pools:
- name: web
  protocol: bgp
  addresses: [198.51.100.0/24]
${poolExtra}${extra}`;
  const r = parseConfig(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const weighted = () => config("", "  link-bandwidth: endpoints\n");

function node(name: string, labels: Record<string, string> = {}): NodeLike {
  return { metadata: { name, labels } };
}

function svc(name: string, ip: string, etp: "Cluster" | "Local" = "Cluster"): ServiceLike {
  return {
    metadata: { namespace: "ns", name },
    spec: { type: "LoadBalancer", externalTrafficPolicy: etp },
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}

/** One EndpointSlice with `n` ready endpoints on each node of `perNode`. */
function slice(service: string, perNode: Record<string, number>): EndpointSliceLike {
  const endpoints = Object.entries(perNode).flatMap(([nodeName, n]) =>
    Array.from({ length: n }, () => ({ addresses: ["10.244.0.1"], conditions: { ready: true }, nodeName })),
  );
  return {
    metadata: { namespace: "ns", name: `${service}-1`, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints,
  };
}

function snapshot(
  nodes: readonly NodeLike[],
  services: readonly ServiceLike[],
  slices: readonly EndpointSliceLike[] = [],
): ClusterSnapshot {
  return { configMap: undefined, nodes, services, endpointSlices: slices };
}

/** Rack r1: `a` nodes, rack r2: `b` nodes, named r1-0…, r2-0…. */
function racks(a: number, b: number): NodeLike[] {
  return [
    ...Array.from({ length: a }, (_, i) => node(`r1-${i}`, { [ZONE]: "r1" })),
    ...Array.from({ length: b }, (_, i) => node(`r2-${i}`, { [ZONE]: "r2" })),
  ];
}

const only = (c: Config, s: ClusterSnapshot): ServiceBalance => {
  const r = analyzeBalance(c, s);
  assert.equal(r.services.length, 1, JSON.stringify(r.services.map((x) => x.service)));
  return r.services[0]!;
};

const close = (a: number, b: number, what = "") => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

describe("analyzeBalance: the issue's example", () => {
  it("1 node in rack r1, 4 in rack r2 (Cluster): the lone node takes 50%, the others 12.5%", () => {
    const b = only(config(), snapshot(racks(1, 4), [svc("web", "198.51.100.1")]));
    assert.equal(b.policy, "Cluster");
    assert.equal(b.unit, "node");
    close(b.nodes.find((n) => n.node === "r1-0")!.share, 0.5, "r1-0");
    for (const n of b.nodes.filter((x) => x.rack === "r2")) close(n.share, 0.125, n.node);
    close(b.fairShare, 0.2, "fair");
    close(b.imbalance, 2.5, "imbalance");
    assert.deepEqual(
      b.racks.map((r) => [r.rack, r.nodes]),
      [
        ["r1", 1],
        ["r2", 4],
      ],
    );
    assert.match(
      b.warning ?? "",
      /rack r1: 1 node announces and takes 50% of traffic; rack r2: 4 nodes take 12\.5% each/,
    );
    assert.match(b.warning ?? "", /the busiest node takes 2\.5× its fair share of 20% \(threshold 1\.5\)/);
    assert.match(b.warning ?? "", /link-bandwidth: endpoints on pool "web"/);
    assert.match(b.warning ?? "", /^uneven ECMP for Service ns\/web: /);
  });

  it("equal racks: ratio 1, no warning, a summary all the same", () => {
    const b = only(config(), snapshot(racks(3, 3), [svc("web", "198.51.100.1")]));
    close(b.imbalance, 1);
    assert.equal(b.warning, undefined);
    assert.equal(
      b.summary,
      "rack r1: 3 nodes take 16.7% each; rack r2: 3 nodes take 16.7% each; imbalance 1× (threshold 1.5)",
    );
  });

  it("a skew under the threshold is not warned about; a lower threshold warns", () => {
    // 2 and 3 nodes: the r1 nodes take 25%, fair is 20%: ratio 1.25.
    const s = snapshot(racks(2, 3), [svc("web", "198.51.100.1")]);
    const b = only(config(), s);
    close(b.imbalance, 1.25);
    assert.equal(b.warning, undefined);
    const strict = only(config("rack-balance:\n  imbalance-threshold: 1.2\n"), s);
    assert.match(strict.warning ?? "", /takes 1\.25× its fair share of 20% \(threshold 1\.2\)/);
  });
});

describe("analyzeBalance: externalTrafficPolicy Local counts endpoints", () => {
  // r1-0: 1 endpoint; r2-0: 1, r2-1: 3. r2-2 has none, so it does not announce.
  const nodes = racks(1, 3);
  const s = snapshot(
    nodes,
    [svc("api", "198.51.100.2", "Local")],
    [slice("api", { "r1-0": 1, "r2-0": 1, "r2-1": 3 })],
  );

  it("shares per node and per endpoint; only nodes with endpoints announce", () => {
    const b = only(config(), s);
    assert.equal(b.unit, "endpoint");
    assert.deepEqual(
      b.nodes.map((n) => [n.node, n.endpoints]),
      [
        ["r1-0", 1],
        ["r2-0", 1],
        ["r2-1", 3],
      ],
    );
    close(b.nodes[0]!.share, 0.5);
    close(b.nodes[1]!.share, 0.25);
    close(b.nodes[2]!.share, 0.25);
    close(b.fairShare, 0.2);
    // r1-0's one endpoint takes 50%; fair is 1/5.
    close(b.imbalance, 2.5);
    assert.match(
      b.warning ?? "",
      /rack r1: 1 node with 1 endpoint announces and takes 50% of traffic \(50% per endpoint\); rack r2: 2 nodes with 4 endpoints take 25% each \(8\.3%–25% per endpoint\)/,
    );
    assert.match(b.warning ?? "", /the busiest endpoint takes 2\.5×/);
    assert.match(b.warning ?? "", /Spread the Service's pods evenly over racks and nodes/);
  });

  it("with link-bandwidth: weights are the endpoint counts, the weighted split is fair, no warning", () => {
    const b = only(weighted(), s);
    assert.equal(b.linkBandwidth, true);
    assert.deepEqual(
      b.nodes.map((n) => n.weight),
      [1, 1, 3],
    );
    for (const n of b.nodes) close(n.weightedShare, (n.endpoints ?? 0) / 5, n.node);
    close(b.weightedImbalance, 1);
    close(b.imbalance, 2.5, "the equal-cost figure stays for routers that ignore the community");
    assert.equal(b.warning, undefined);
    assert.match(
      b.summary,
      /link-bandwidth weights: rack r1 20%, rack r2 80%, imbalance 1× where routers honour them/,
    );
  });

  it("plan() puts the node's endpoint count × 1 Mbit/s on its route; a changed count is re-announced", () => {
    const c = weighted();
    const route = (snap: ClusterSnapshot, n: string) => plan(c, snap, n).bgp[0]!.routes[0]!;
    assert.equal(route(s, "r2-1").linkBandwidth, 3 * LINK_BANDWIDTH_UNIT);
    assert.equal(route(s, "r1-0").linkBandwidth, LINK_BANDWIDTH_UNIT);
    assert.equal(plan(config(), s, "r2-1").bgp[0]!.routes[0]!.linkBandwidth, undefined, "off: no community");
    const after = snapshot(nodes, s.services, [slice("api", { "r1-0": 1, "r2-0": 1, "r2-1": 2 })]);
    const diff = diffRoutes(plan(c, s, "r2-1").bgp, plan(c, after, "r2-1").bgp);
    assert.equal(diff.length, 1);
    assert.equal(diff[0]!.announce[0]!.linkBandwidth, 2 * LINK_BANDWIDTH_UNIT);
  });

  it("a prefix carrying two Services carries the sum of their weights", () => {
    const c = weighted();
    const two = snapshot(
      nodes,
      [svc("api", "198.51.100.2", "Local"), svc("web", "198.51.100.2")],
      [slice("api", { "r2-1": 3 }), slice("web", { "r1-0": 1 })],
    );
    // api: 3 endpoints on r2-1; web (Cluster): 1 share per node.
    assert.equal(plan(c, two, "r2-1").bgp[0]!.routes[0]!.linkBandwidth, 4 * LINK_BANDWIDTH_UNIT);
  });
});

describe("analyzeBalance: where racks come from", () => {
  const peered = (racksFrom: string) =>
    parseConfig(`peers:
- peer-address: 10.0.1.1
  peer-asn: 65001
  my-asn: 64500
  node-selectors: [{match-labels: {rack: one}}]
- peer-address: 10.0.2.1
  peer-asn: 65002
  my-asn: 64500
  node-selectors: [{match-labels: {rack: two}}]
address-pools:
- name: web
  protocol: bgp
  addresses: [198.51.100.0/24]
rack-balance:
  racks-from: ${racksFrom}
`);

  it("racks-from: peers groups nodes by the ToR peers they session with", () => {
    const r = peered("peers");
    assert.ok(r.ok);
    const s = snapshot(
      [node("n1", { rack: "one" }), node("n2", { rack: "two" }), node("n3", { rack: "two" })],
      [svc("web", "198.51.100.1")],
    );
    const b = only(r.config, s);
    assert.deepEqual(
      b.racks.map((x) => [x.rack, x.nodes]),
      [
        ["tor:10.0.1.1", 1],
        ["tor:10.0.2.1", 2],
      ],
    );
    close(b.imbalance, 1.5);
  });

  it("racks-from: peer-asn groups nodes whose ToRs share an AS, whatever address each node peers with", () => {
    const text = (from: string) => `peers:
- peer-address: 10.0.1.1
  peer-asn: 65001
  my-asn: 64500
  node-selectors: [{match-labels: {link: one}}]
- peer-address: 10.0.2.1
  peer-asn: 65002
  my-asn: 64500
  node-selectors: [{match-labels: {link: two}}]
- peer-address: 10.0.3.1
  peer-asn: 65002
  my-asn: 64500
  node-selectors: [{match-labels: {link: three}}]
address-pools:
- name: web
  protocol: bgp
  addresses: [198.51.100.0/24]
rack-balance:
  racks-from: ${from}
`;
    const s = snapshot(
      [node("n1", { link: "one" }), node("n2", { link: "two" }), node("n3", { link: "three" })],
      [svc("web", "198.51.100.1")],
    );
    const byAsn = parseConfig(text("peer-asn"));
    const byAddress = parseConfig(text("peers"));
    assert.ok(byAsn.ok && byAddress.ok);
    assert.deepEqual(
      only(byAsn.config, s).racks.map((r) => [r.rack, r.nodes]),
      [
        ["as:65001", 1],
        ["as:65002", 2],
      ],
    );
    // By address, each per-link peer looks like a rack of its own.
    assert.deepEqual(
      only(byAddress.config, s).racks.map((r) => [r.rack, r.nodes]),
      [
        ["tor:10.0.1.1", 1],
        ["tor:10.0.2.1", 1],
        ["tor:10.0.3.1", 1],
      ],
    );
  });

  it("racks-from: label falls back to peers for unlabelled nodes, and says so", () => {
    const r = peered("label");
    assert.ok(r.ok);
    const s = snapshot(
      [node("n1", { rack: "one", [ZONE]: "z1" }), node("n2", { rack: "two" }), node("n3", { rack: "two" })],
      [svc("web", "198.51.100.1")],
    );
    const report = analyzeBalance(r.config, s);
    assert.deepEqual(
      report.services[0]!.nodes.map((n) => n.rack),
      ["z1", "tor:10.0.2.1", "tor:10.0.2.1"],
    );
    assert.deepEqual(report.notes, [
      `nodes n2, n3 have no ${ZONE} label: placed in a rack by their BGP peers`,
    ]);
  });

  it("a custom rack label", () => {
    const c = config("rack-balance:\n  rack-label: example.com/rack\n");
    const s = snapshot(
      [node("n1", { "example.com/rack": "x" }), node("n2", { "example.com/rack": "y", [ZONE]: "x" })],
      [svc("web", "198.51.100.1")],
    );
    assert.deepEqual(
      only(c, s).nodes.map((n) => n.rack),
      ["x", "y"],
    );
  });
});

describe("analyzeBalance: what does not count", () => {
  it("nodes plan() keeps silent (excluded, cordoned) take no share", () => {
    const nodes = [
      ...racks(1, 2),
      node("r1-x", { [ZONE]: "r1", "node.kubernetes.io/exclude-from-external-load-balancers": "" }),
      { ...node("r1-y", { [ZONE]: "r1" }), spec: { unschedulable: true } },
    ];
    const b = only(config(), snapshot(nodes, [svc("web", "198.51.100.1")]));
    assert.deepEqual(
      b.nodes.map((n) => n.node),
      ["r1-0", "r2-0", "r2-1"],
    );
  });

  it("Local: endpoints on nodes that do not announce are idle, said so, and left out of the ratio", () => {
    const nodes = [
      ...racks(1, 1),
      node("r2-x", { [ZONE]: "r2", "node.kubernetes.io/exclude-from-external-load-balancers": "" }),
    ];
    const b = only(
      config(),
      snapshot(
        nodes,
        [svc("api", "198.51.100.2", "Local")],
        [slice("api", { "r1-0": 1, "r2-0": 1, "r2-x": 2 })],
      ),
    );
    assert.equal(b.idleEndpoints, 2);
    close(b.imbalance, 1, "1 and 1 endpoints on the announcing nodes, 50% each");
    assert.match(
      b.summary,
      /rack r2: 1 node with 1 endpoint announces and takes 50% of traffic \(50% per endpoint\); 2 endpoints on nodes that do not announce take none/,
    );
    const cluster = only(
      config(),
      snapshot(nodes, [svc("api", "198.51.100.2")], [slice("api", { "r1-0": 1, "r2-x": 2 })]),
    );
    assert.equal(cluster.idleEndpoints, 0, "Cluster: kube-proxy reaches every endpoint");
  });

  it("dual-stack: a pod listed in the IPv4 and the IPv6 EndpointSlice counts once", () => {
    const v4 = slice("api", { "r1-0": 2, "r2-0": 1 });
    const v6: EndpointSliceLike = { ...slice("api", { "r1-0": 2, "r2-0": 1 }), addressType: "IPv6" };
    const v6named: EndpointSliceLike = { ...v6, metadata: { ...v6.metadata, name: "api-2" } };
    const s = snapshot(racks(1, 1), [svc("api", "198.51.100.2", "Local")], [v4, v6named]);
    assert.deepEqual(
      only(weighted(), s).nodes.map((n) => [n.node, n.endpoints, n.weight]),
      [
        ["r1-0", 2, 2],
        ["r2-0", 1, 1],
      ],
    );
    assert.equal(plan(weighted(), s, "r1-0").bgp[0]!.routes[0]!.linkBandwidth, 2 * LINK_BANDWIDTH_UNIT);
  });

  it("layer-2 Services, Services without an IP, and a cluster without Nodes give no entries", () => {
    const c = parseConfig("address-pools:\n- name: l2\n  protocol: layer2\n  addresses: [192.168.1.0/24]\n");
    assert.ok(c.ok);
    assert.deepEqual(
      analyzeBalance(c.config, snapshot(racks(1, 1), [svc("web", "192.168.1.1")])).services,
      [],
    );
    assert.deepEqual(analyzeBalance(config(), snapshot(racks(1, 1), [svc("web", "")])).services, []);
    const none = analyzeBalance(config(), snapshot([], [svc("web", "198.51.100.1")]));
    assert.deepEqual(none.services, []);
    assert.match(none.notes[0] ?? "", /no Node objects/);
  });
});

describe("for the controller, status and metrics", () => {
  it("balanceEvents: a Warning UnevenECMP when a warning appears or changes, a Normal EvenECMP when it ends, nothing twice", () => {
    const uneven = analyzeBalance(
      config(),
      snapshot(racks(1, 4), [svc("web", "198.51.100.1"), svc("api", "198.51.100.9")]),
    );
    const first = balanceEvents(new Map(), uneven);
    // Both Services are announced by the same five nodes: both are uneven.
    assert.deepEqual(
      first.events.map((e) => [e.service, e.type, e.reason]),
      [
        ["ns/api", "Warning", "UnevenECMP"],
        ["ns/web", "Warning", "UnevenECMP"],
      ],
    );
    assert.equal(first.events[1]!.message, uneven.services[1]!.warning);
    // The same report again: nothing new to tell.
    const again = balanceEvents(first.told, uneven);
    assert.deepEqual(again.events, []);
    // Worse (1 against 6): the message changes, so it is told again.
    const worse = balanceEvents(
      again.told,
      analyzeBalance(config(), snapshot(racks(1, 6), [svc("web", "198.51.100.1")])),
    );
    assert.deepEqual(
      worse.events.map((e) => [e.service, e.reason]),
      [["ns/web", "UnevenECMP"]],
    );
    assert.match(worse.events[0]!.message, /rack r2: 6 nodes take/);
    // Even racks: the end of the warning is told once.
    const even = analyzeBalance(config(), snapshot(racks(2, 2), [svc("web", "198.51.100.1")]));
    const fixed = balanceEvents(worse.told, even);
    assert.deepEqual(
      fixed.events.map((e) => [e.service, e.type, e.reason]),
      [["ns/web", "Normal", "EvenECMP"]],
    );
    assert.match(
      fixed.events[0]!.message,
      /^ECMP split is within the threshold again: rack r1: 2 nodes take 25% each/,
    );
    assert.deepEqual(balanceEvents(fixed.told, even).events, []);
  });

  it("balanceEvents with a teller: only the speaker on the first announcing node tells", () => {
    const report = analyzeBalance(config(), snapshot(racks(1, 4), [svc("web", "198.51.100.1")]));
    assert.equal(report.services[0]!.nodes[0]!.node, "r1-0");
    assert.deepEqual(
      balanceEvents(new Map(), report, "r1-0").events.map((e) => e.reason),
      ["UnevenECMP"],
    );
    assert.deepEqual(balanceEvents(new Map(), report, "r2-0").events, []);
    // r1-0 leaves (excluded): r2-0 becomes the teller and tells the standing warning.
    const without = analyzeBalance(
      config(),
      snapshot(
        [
          node("r1-0", { [ZONE]: "r1", "node.kubernetes.io/exclude-from-external-load-balancers": "" }),
          node("r1-1", { [ZONE]: "r1" }),
          ...racks(0, 4),
        ],
        [svc("web", "198.51.100.1")],
      ),
    );
    assert.deepEqual(
      balanceEvents(new Map(), without, "r2-0").events.map((e) => e.reason),
      [],
      "r1-1 sorts first now",
    );
    assert.deepEqual(
      balanceEvents(new Map(), without, "r1-1").events.map((e) => e.reason),
      ["UnevenECMP"],
    );
  });

  it("metrics: the imbalance ratio and the warning flag per Service", async () => {
    const report = analyzeBalance(config(), snapshot(racks(1, 4), [svc("web", "198.51.100.1")]));
    const status: SpeakerStatus = {
      node: "r1-0",
      config: { state: "missing" },
      listener: undefined,
      peers: [],
      services: [],
      balance: {
        rackLabel: ZONE,
        racksFrom: "label",
        threshold: 1.5,
        notes: [],
        services: report.services,
      },
    };
    const text = await speakerMetrics(() => status).metrics();
    assert.match(text, /signalbox_service_imbalance_ratio\{service="ns\/web"\} 2\.5/);
    assert.match(text, /signalbox_service_imbalance_warning\{service="ns\/web"\} 1/);
  });

  it("words: percentages and ratios as an operator reads them", () => {
    assert.deepEqual([0.5, 0.125, 1 / 6, 1 / 3, 0.0005, 0].map(percent), [
      "50%",
      "12.5%",
      "16.7%",
      "33.3%",
      "0.05%",
      "0%",
    ]);
    assert.deepEqual([2, 1.5, 4 / 3, 2.5].map(ratio), ["2", "1.5", "1.33", "2.5"]);
  });
});

describe("the Link Bandwidth community (RFC 10005 §2)", () => {
  it("transitive (0x00) or non-transitive (0x40), subtype 4, AS, float32 octets per second", () => {
    const t = linkBandwidth(64600, 3 * LINK_BANDWIDTH_UNIT, true);
    const n = linkBandwidth(64600, 3 * LINK_BANDWIDTH_UNIT);
    assert.equal(t[0], 0x00);
    assert.equal(n[0], LINK_BANDWIDTH.type);
    assert.deepEqual([t[1], n[1]], [0x04, 0x04]);
    assert.deepEqual(Buffer.from(t.subarray(2)).toString("hex"), "fc5848b71b00");
    assert.deepEqual(parseLinkBandwidth(t), { asn: 64600, bytesPerSecond: 375000 });
    assert.deepEqual(parseLinkBandwidth(n), { asn: 64600, bytesPerSecond: 375000 });
  });
});
