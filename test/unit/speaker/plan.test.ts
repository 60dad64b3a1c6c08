/**
 * plan() rules, one by one (src/speaker/plan.ts header lists them), and diffRoutes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IpAddress, Prefix } from "../../../protocol/ip/index.ts";
import type {
  ClusterSnapshot,
  EndpointSliceLike,
  NodeLike,
  ServiceLike,
} from "../../../src/cluster/index.ts";
import { type Config, formatCommunity, parseConfig } from "../../../src/config/index.ts";
import { type Desired, diffRoutes, type PeerRoutes, plan, type Route } from "../../../src/speaker/plan.ts";

function config(yaml: string): Config {
  const r = parseConfig(yaml);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const basic = config(`
peers:
- peer-address: 10.0.0.1
  peer-asn: 64501
  my-asn: 64500
address-pools:
- name: bgp
  protocol: bgp
  addresses: [198.51.100.0/24, 2001:db8:1::/64]
- name: l2
  protocol: layer2
  addresses: [192.168.1.240-192.168.1.250]
`);

function svc(
  name: string,
  ips: string[],
  over: { ns?: string; type?: string; etp?: string; cls?: string } = {},
): ServiceLike {
  return {
    metadata: { namespace: over.ns ?? "ns", name },
    spec: {
      type: over.type ?? "LoadBalancer",
      ...(over.etp !== undefined ? { externalTrafficPolicy: over.etp } : {}),
      ...(over.cls !== undefined ? { loadBalancerClass: over.cls } : {}),
    },
    status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
  };
}

function node(
  name: string,
  over: {
    labels?: Record<string, string>;
    unschedulable?: boolean;
    networkUnavailable?: boolean;
    ready?: boolean;
  } = {},
): NodeLike {
  return {
    metadata: { name, labels: over.labels ?? {} },
    spec: { unschedulable: over.unschedulable ?? false },
    status: {
      conditions: [
        { type: "Ready", status: over.ready === false ? "False" : "True" },
        { type: "NetworkUnavailable", status: over.networkUnavailable ? "True" : "False" },
      ],
    },
  };
}

type Cond = { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };

function slice(
  service: string,
  endpoints: { node: string; cond?: Cond }[],
  ns = "ns",
  name = `${service}-x`,
): EndpointSliceLike {
  return {
    metadata: { namespace: ns, name, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints: endpoints.map((e, i) => ({
      addresses: [`10.244.0.${i + 1}`],
      conditions: e.cond ?? { ready: true, serving: true, terminating: false },
      nodeName: e.node,
    })),
  };
}

function snap(p: Partial<ClusterSnapshot>): ClusterSnapshot {
  return { configMap: undefined, services: [], nodes: [], endpointSlices: [], ...p };
}

const prefixes = (d: Desired, peer = 0): string[] =>
  (d.bgp[peer]?.routes ?? []).map((r) => r.prefix.toString());
const reasonOf = (d: Desired, key: string) => d.services.find((s) => s.key === key)?.reason;

describe("plan: which Services and addresses", () => {
  it("announces a Cluster-policy Service's /32 to every peer (standalone: no Nodes, no slices)", () => {
    const d = plan(basic, snap({ services: [svc("web", ["198.51.100.7"])] }), "n1");
    assert.equal(d.node, "n1");
    assert.equal(d.bgp.length, 1);
    assert.equal(d.bgp[0]!.key, "10.0.0.1:179 64500>64501");
    assert.deepEqual(prefixes(d), ["198.51.100.7/32"]);
    const r = d.bgp[0]!.routes[0]!;
    assert.deepEqual(r.services, ["ns/web"]);
    assert.deepEqual(r.communities, []);
    assert.equal(r.localPref, 0);
    assert.deepEqual(d.services, [
      {
        key: "ns/web",
        ips: [IpAddress.of("198.51.100.7")],
        announced: true,
        reason: "announced",
        addresses: [
          {
            ip: IpAddress.of("198.51.100.7"),
            pool: "bgp",
            protocol: "bgp",
            announced: true,
            reason: "announced",
          },
        ],
      },
    ]);
  });

  it("announces IPv6 addresses as /128", () => {
    const d = plan(basic, snap({ services: [svc("v6", ["2001:db8:1::10"])] }), "n1");
    assert.deepEqual(prefixes(d), ["2001:db8:1::10/128"]);
  });

  it("ignores Services that are not LoadBalancer; other classes get otherClass", () => {
    const s = snap({
      services: [
        svc("cip", ["198.51.100.1"], { type: "ClusterIP" }),
        svc("np", ["198.51.100.2"], { type: "NodePort" }),
        svc("cls", ["198.51.100.3"], { cls: "example.com/other" }),
      ],
    });
    const d = plan(basic, s, "n1");
    assert.deepEqual(
      d.services.map((x) => [x.key, x.reason]),
      [["ns/cls", "otherClass"]],
    );
    assert.deepEqual(prefixes(d), []);
    const ours = plan(basic, s, "n1", { loadBalancerClass: "example.com/other" });
    assert.deepEqual(prefixes(ours), ["198.51.100.3/32"]);
  });

  it("noIngressIp: no ingress, or hostnames only, or junk", () => {
    const s = snap({
      services: [
        svc("none", []),
        {
          metadata: { namespace: "ns", name: "host" },
          spec: { type: "LoadBalancer" },
          status: { loadBalancer: { ingress: [{ hostname: "lb.example" }] } },
        },
        {
          metadata: { namespace: "ns", name: "junk" },
          spec: { type: "LoadBalancer" },
          status: { loadBalancer: { ingress: [{ ip: "not-an-ip" }] } },
        },
        { metadata: { name: "nostatus" }, spec: { type: "LoadBalancer" } },
      ],
    });
    const d = plan(basic, s, "n1");
    assert.deepEqual(
      d.services.map((x) => [x.key, x.reason, x.announced]),
      [
        ["default/nostatus", "noIngressIp", false],
        ["ns/host", "noIngressIp", false],
        ["ns/junk", "noIngressIp", false],
        ["ns/none", "noIngressIp", false],
      ],
    );
  });

  it("notInAnyPool: an ingress IP outside every pool", () => {
    const d = plan(basic, snap({ services: [svc("out", ["203.0.113.9"])] }), "n1");
    assert.equal(reasonOf(d, "ns/out"), "notInAnyPool");
    assert.deepEqual(d.services[0]!.addresses[0]!.pool, undefined);
    assert.deepEqual(prefixes(d), []);
  });

  it("dual-stack: each address decided on its own; announced if any is", () => {
    const d = plan(basic, snap({ services: [svc("ds", ["2001:db8:9::1", "198.51.100.9"])] }), "n1");
    const s = d.services[0]!;
    assert.deepEqual(s.ips.map(String), ["198.51.100.9", "2001:db8:9::1"]);
    assert.equal(s.announced, true);
    assert.equal(s.reason, "announced");
    assert.deepEqual(
      s.addresses.map((a) => [String(a.ip), a.reason]),
      [
        ["198.51.100.9", "announced"],
        ["2001:db8:9::1", "notInAnyPool"],
      ],
    );
    assert.deepEqual(prefixes(d), ["198.51.100.9/32"]);
  });
});

describe("plan: node state", () => {
  const s = (n: NodeLike) =>
    snap({
      services: [svc("web", ["198.51.100.7"]), svc("l2", ["192.168.1.241"])],
      nodes: [n, node("other")],
    });

  for (const [what, n, reason] of [
    [
      "nodeExcluded (any value of the label)",
      node("n1", { labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } }),
      "nodeExcluded",
    ],
    ["nodeNetworkUnavailable", node("n1", { networkUnavailable: true }), "nodeNetworkUnavailable"],
    ["nodeCordoned", node("n1", { unschedulable: true }), "nodeCordoned"],
  ] as const) {
    it(`${what}: announces nothing, BGP or layer 2`, () => {
      const d = plan(basic, s(n), "n1");
      assert.deepEqual(prefixes(d), []);
      assert.deepEqual(d.l2, []);
      assert.equal(d.bgp.length, 1, "the session stays; only its routes go");
      assert.deepEqual(
        d.services.map((x) => [x.key, x.reason, x.announced]),
        [
          ["ns/l2", reason, false],
          ["ns/web", reason, false],
        ],
      );
    });
  }

  it("ignoreExcludeLb announces from excluded nodes", () => {
    const n = node("n1", { labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "true" } });
    assert.deepEqual(prefixes(plan(basic, s(n), "n1", { ignoreExcludeLb: true })), ["198.51.100.7/32"]);
  });

  it("a node that is not Ready still announces (MetalLB does not check Ready; BGP hold timers do)", () => {
    assert.deepEqual(prefixes(plan(basic, s(node("n1", { ready: false })), "n1")), ["198.51.100.7/32"]);
  });

  it("nodeUnknown: Nodes are listed but not this one", () => {
    const d = plan(basic, s(node("n2")), "n1");
    assert.equal(reasonOf(d, "ns/web"), "nodeUnknown");
    assert.deepEqual(prefixes(d), []);
    assert.deepEqual(d.l2, []);
  });

  it("the exclusion order: excluded before NetworkUnavailable before cordoned", () => {
    const n = node("n1", {
      labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" },
      networkUnavailable: true,
      unschedulable: true,
    });
    assert.equal(reasonOf(plan(basic, s(n), "n1"), "ns/web"), "nodeExcluded");
    assert.equal(
      reasonOf(plan(basic, s(node("n1", { networkUnavailable: true, unschedulable: true })), "n1"), "ns/web"),
      "nodeNetworkUnavailable",
    );
  });
});

describe("plan: peers and node selectors", () => {
  const cfg = config(`
peers:
- peer-address: 10.0.0.1
  peer-asn: 64501
  my-asn: 64500
  node-selectors:
  - match-labels: {rack: a}
- peer-address: 10.0.0.2
  peer-asn: 64501
  my-asn: 64500
  node-selectors:
  - match-expressions:
    - {key: rack, operator: In, values: [b, c]}
  - match-labels: {role: edge}
- peer-address: fd00::1
  peer-asn: 64502
  my-asn: 64500
address-pools:
- name: bgp
  protocol: bgp
  addresses: [198.51.100.0/24]
`);
  const services = [svc("web", ["198.51.100.7"])];
  const keys = (labels: Record<string, string>, nodes = true) =>
    plan(cfg, snap({ services, nodes: nodes ? [node("n1", { labels })] : [] }), "n1").bgp.map((p) => p.key);

  it("uses the peers whose selectors match this node's labels (entries ORed); no selectors = every node", () => {
    assert.deepEqual(keys({ rack: "a" }), ["10.0.0.1:179 64500>64501", "[fd00::1]:179 64500>64502"]);
    assert.deepEqual(keys({ rack: "c" }), ["10.0.0.2:179 64500>64501", "[fd00::1]:179 64500>64502"]);
    assert.deepEqual(keys({ role: "edge", rack: "a" }), [
      "10.0.0.1:179 64500>64501",
      "10.0.0.2:179 64500>64501",
      "[fd00::1]:179 64500>64502",
    ]);
    assert.deepEqual(keys({}), ["[fd00::1]:179 64500>64502"]);
  });

  it("a standalone host without a Node manifest has no labels", () => {
    assert.deepEqual(keys({}, false), ["[fd00::1]:179 64500>64502"]);
  });

  it("every used peer gets the same routes", () => {
    const d = plan(
      cfg,
      snap({ services, nodes: [node("n1", { labels: { role: "edge", rack: "a" } })] }),
      "n1",
    );
    assert.equal(d.bgp.length, 3);
    for (const p of d.bgp)
      assert.deepEqual(
        p.routes.map((r) => r.prefix.toString()),
        ["198.51.100.7/32"],
      );
  });

  it("noMatchingPeer: a bgp address on a node no peer selects", () => {
    const only = config(`
peers:
- peer-address: 10.0.0.1
  peer-asn: 64501
  my-asn: 64500
  node-selectors: [{match-labels: {rack: a}}]
address-pools:
- {name: bgp, protocol: bgp, addresses: [198.51.100.0/24]}
- {name: l2, protocol: layer2, addresses: [192.168.1.0/24]}
`);
    const d = plan(
      only,
      snap({ services: [...services, svc("l2", ["192.168.1.5"])], nodes: [node("n1")] }),
      "n1",
    );
    assert.deepEqual(d.bgp, []);
    assert.equal(reasonOf(d, "ns/web"), "noMatchingPeer");
    assert.equal(reasonOf(d, "ns/l2"), "layer2", "layer 2 needs no peer");
  });

  it("noMatchingAdvertisement: a bgp pool without advertisements", () => {
    const none: Config = {
      ...basic,
      addressPools: basic.addressPools.map((p) =>
        p.protocol === "bgp" ? { ...p, bgpAdvertisements: [] } : p,
      ),
    };
    const d = plan(none, snap({ services }), "n1");
    assert.equal(reasonOf(d, "ns/web"), "noMatchingAdvertisement");
    assert.deepEqual(prefixes(d), []);
  });

  it("two peers that differ only in timers get distinct keys, in config order", () => {
    const twice = config(`
peers:
- {peer-address: 10.0.0.1, peer-asn: 64501, my-asn: 64500, hold-time: 90s}
- {peer-address: 10.0.0.1, peer-asn: 64501, my-asn: 64500, hold-time: 30s}
- {peer-address: 10.0.0.1, peer-asn: 64501, my-asn: 64500, source-address: 10.0.0.5, peer-port: 1179}
address-pools: [{name: bgp, protocol: bgp, addresses: [198.51.100.0/24]}]
`);
    const d = plan(twice, snap({}), "n1");
    assert.deepEqual(
      d.bgp.map((p) => [p.key, p.peer.holdTime]),
      [
        ["10.0.0.1:1179 64500>64501 src 10.0.0.5", 90],
        ["10.0.0.1:179 64500>64501", 90],
        ["10.0.0.1:179 64500>64501 #2", 30],
      ],
    );
  });
});

describe("plan: endpoints and externalTrafficPolicy", () => {
  const nodes = [
    node("n1"),
    node("n2"),
    node("n3", { labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } }),
  ];
  const local = svc("web", ["198.51.100.7"], { etp: "Local" });
  const on = (n: string, ...endpoints: { node: string; cond?: Cond }[]) =>
    reasonOf(
      plan(basic, snap({ services: [local], nodes, endpointSlices: [slice("web", endpoints)] }), n),
      "ns/web",
    );

  it("Local: announced only from nodes with a serving endpoint", () => {
    assert.equal(on("n1", { node: "n1" }), "announced");
    assert.equal(on("n2", { node: "n1" }), "noLocalEndpoints");
  });

  it("Local: no EndpointSlice at all means no local endpoint", () => {
    assert.equal(
      reasonOf(plan(basic, snap({ services: [local], nodes }), "n1"), "ns/web"),
      "noLocalEndpoints",
    );
  });

  it("serving = ready, or serving and not terminating; nil ready counts as ready", () => {
    assert.equal(
      on("n1", { node: "n1", cond: { ready: false, serving: false, terminating: false } }),
      "noLocalEndpoints",
    );
    assert.equal(
      on("n1", { node: "n1", cond: { ready: false, serving: true, terminating: true } }),
      "noLocalEndpoints",
      "draining",
    );
    assert.equal(
      on("n1", { node: "n1", cond: { ready: false, serving: true, terminating: false } }),
      "announced",
    );
    assert.equal(on("n1", { node: "n1", cond: {} }), "announced");
    assert.equal(on("n1", { node: "n1", cond: { ready: null } }), "announced");
    assert.equal(on("n1", { node: "n2" }, { node: "n1", cond: { ready: false } }), "noLocalEndpoints");
  });

  it("only the Service's own slices count (name label and namespace)", () => {
    const slices = [slice("other", [{ node: "n1" }]), slice("web", [{ node: "n1" }], "elsewhere")];
    const d = plan(basic, snap({ services: [local], nodes, endpointSlices: slices }), "n1");
    assert.equal(reasonOf(d, "ns/web"), "noLocalEndpoints");
  });

  it("Local: any of several slices may hold the local endpoint", () => {
    const slices = [
      slice("web", [{ node: "n2" }], "ns", "web-a"),
      slice("web", [{ node: "n1" }], "ns", "web-b"),
    ];
    assert.equal(
      reasonOf(plan(basic, snap({ services: [local], nodes, endpointSlices: slices }), "n1"), "ns/web"),
      "announced",
    );
  });

  it("Cluster: announced from every node while some endpoint serves anywhere", () => {
    const c = svc("web", ["198.51.100.7"]);
    const ok = snap({ services: [c], nodes, endpointSlices: [slice("web", [{ node: "n2" }])] });
    assert.equal(reasonOf(plan(basic, ok, "n1"), "ns/web"), "announced");
    const none = snap({
      services: [c],
      nodes,
      endpointSlices: [slice("web", [{ node: "n2", cond: { ready: false, serving: false } }])],
    });
    assert.equal(reasonOf(plan(basic, none, "n1"), "ns/web"), "noEndpoints");
    const empty = snap({ services: [c], nodes, endpointSlices: [slice("web", [])] });
    assert.equal(reasonOf(plan(basic, empty, "n1"), "ns/web"), "noEndpoints");
  });

  it("Cluster: endpoints on excluded nodes do not count (MetalLB filterNode)", () => {
    const c = svc("web", ["198.51.100.7"]);
    const s = snap({ services: [c], nodes, endpointSlices: [slice("web", [{ node: "n3" }])] });
    assert.equal(reasonOf(plan(basic, s, "n1"), "ns/web"), "noEndpoints");
  });
});

describe("plan: routes, aggregation and attributes", () => {
  const cfg = config(`
peers:
- {peer-address: 10.0.0.1, peer-asn: 64500, my-asn: 64500}
bgp-communities:
  noexport: 65535:65281
address-pools:
- name: agg
  protocol: bgp
  addresses: [198.51.100.0/24, 2001:db8:1::/64]
  bgp-advertisements:
  - {aggregation-length: 32, aggregation-length-v6: 128, localpref: 100, communities: [64500:2, noexport]}
  - {aggregation-length: 24, aggregation-length-v6: 64, localpref: 50, communities: [64500:1]}
- name: merge
  protocol: bgp
  addresses: [203.0.113.0/24]
  bgp-advertisements:
  - {localpref: 100, communities: [64500:9, 64500:1]}
  - {localpref: 300, communities: [64500:1, "large:64500:1:1"]}
  - {localpref: 200}
`);
  const fmt = (r: Route) => [
    r.prefix.toString(),
    r.communities.map(formatCommunity),
    r.localPref,
    r.services,
  ];

  it("each advertisement yields its prefix; Services in one aggregate share the route", () => {
    const d = plan(
      cfg,
      snap({
        services: [svc("a", ["198.51.100.7"]), svc("b", ["198.51.100.200"]), svc("c", ["2001:db8:1::5"])],
      }),
      "n1",
    );
    assert.deepEqual(d.bgp[0]!.routes.map(fmt), [
      ["198.51.100.0/24", ["64500:1"], 50, ["ns/a", "ns/b"]],
      ["198.51.100.7/32", ["64500:2", "65535:65281"], 100, ["ns/a"]],
      ["198.51.100.200/32", ["64500:2", "65535:65281"], 100, ["ns/b"]],
      ["2001:db8:1::/64", ["64500:1"], 50, ["ns/c"]],
      ["2001:db8:1::5/128", ["64500:2", "65535:65281"], 100, ["ns/c"]],
    ]);
  });

  it("advertisements yielding the same prefix merge: communities united, sorted, de-duplicated; largest LOCAL_PREF", () => {
    const d = plan(cfg, snap({ services: [svc("m", ["203.0.113.4"])] }), "n1");
    assert.deepEqual(d.bgp[0]!.routes.map(fmt), [
      ["203.0.113.4/32", ["64500:1", "64500:9", "large:64500:1:1"], 300, ["ns/m"]],
    ]);
  });

  it("Services sharing an IP share one route listing both", () => {
    const d = plan(
      cfg,
      snap({ services: [svc("udp", ["203.0.113.4"]), svc("tcp", ["203.0.113.4"], { ns: "a" })] }),
      "n1",
    );
    assert.deepEqual(
      d.bgp[0]!.routes.map((r) => [r.prefix.toString(), r.services]),
      [["203.0.113.4/32", ["a/tcp", "ns/udp"]]],
    );
  });

  it("a withdrawn Service leaves the aggregate while another still holds it", () => {
    const one = plan(
      cfg,
      snap({ services: [svc("a", ["198.51.100.7"]), svc("b", ["198.51.100.200"], { etp: "Local" })] }),
      "n1",
    );
    assert.deepEqual(prefixes(one), ["198.51.100.0/24", "198.51.100.7/32"]);
    assert.deepEqual(one.bgp[0]!.routes[0]!.services, ["ns/a"]);
  });
});

describe("plan: layer 2 eligibility", () => {
  const nodes = [
    node("n1"),
    node("n2"),
    node("n3", { unschedulable: true }),
    node("n4", { networkUnavailable: true }),
    node("n5", { labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } }),
  ];

  it("lists the address with every eligible node, sorted; no BGP routes", () => {
    const d = plan(
      basic,
      snap({ services: [svc("l2", ["192.168.1.245"])], nodes: [...nodes].reverse() }),
      "n2",
    );
    assert.deepEqual(prefixes(d), []);
    assert.deepEqual(d.l2, [
      { ip: IpAddress.of("192.168.1.245"), pool: "l2", services: ["ns/l2"], eligibleNodes: ["n1", "n2"] },
    ]);
    assert.equal(reasonOf(d, "ns/l2"), "layer2");
    assert.equal(d.services[0]!.announced, false, "the election decides");
  });

  it("an ineligible node lists nothing and says why", () => {
    const d = plan(basic, snap({ services: [svc("l2", ["192.168.1.245"])], nodes }), "n3");
    assert.deepEqual(d.l2, []);
    assert.equal(reasonOf(d, "ns/l2"), "nodeCordoned");
  });

  it("Local: only nodes with a serving endpoint are eligible", () => {
    const s = snap({
      services: [svc("l2", ["192.168.1.245"], { etp: "Local" })],
      nodes,
      endpointSlices: [slice("l2", [{ node: "n2" }, { node: "n3" }])],
    });
    assert.deepEqual(plan(basic, s, "n2").l2[0]!.eligibleNodes, ["n2"]);
    assert.equal(reasonOf(plan(basic, s, "n1"), "ns/l2"), "noLocalEndpoints");
    assert.deepEqual(plan(basic, s, "n1").l2, []);
  });

  it("a shared address: eligible for the union of its Services", () => {
    const s = snap({
      services: [
        svc("a", ["192.168.1.245"], { etp: "Local" }),
        svc("b", ["192.168.1.245"], { etp: "Local" }),
      ],
      nodes,
      endpointSlices: [slice("a", [{ node: "n1" }]), slice("b", [{ node: "n2" }])],
    });
    assert.deepEqual(plan(basic, s, "n1").l2, [
      { ip: IpAddress.of("192.168.1.245"), pool: "l2", services: ["ns/a"], eligibleNodes: ["n1", "n2"] },
    ]);
  });

  it("standalone (no Nodes): this node alone is eligible", () => {
    assert.deepEqual(
      plan(basic, snap({ services: [svc("l2", ["192.168.1.245"])] }), "host").l2[0]!.eligibleNodes,
      ["host"],
    );
  });
});

describe("plan: determinism", () => {
  it("the same inputs in another order give a deep-equal plan", () => {
    const services = [
      svc("b", ["198.51.100.2"]),
      svc("a", ["198.51.100.1"]),
      svc("l", ["192.168.1.241"], { etp: "Local" }),
    ];
    const nodes = [node("n2"), node("n1")];
    const slices = [slice("l", [{ node: "n1" }], "ns", "l-2"), slice("l", [{ node: "n2" }], "ns", "l-1")];
    const x = plan(basic, snap({ services, nodes, endpointSlices: slices }), "n1");
    const y = plan(
      basic,
      snap({
        services: [...services].reverse(),
        nodes: [...nodes].reverse(),
        endpointSlices: [...slices].reverse(),
      }),
      "n1",
    );
    assert.deepEqual(x, y);
    assert.deepEqual(
      x.services.map((s) => s.key),
      ["ns/a", "ns/b", "ns/l"],
    );
  });
});

describe("diffRoutes", () => {
  const route = (p: string, over: Partial<Route> = {}): Route => ({
    prefix: Prefix.from(p),
    communities: [],
    localPref: 0,
    services: ["ns/x"],
    ...over,
  });
  const peer = basic.peers[0]!;
  const pr = (key: string, routes: Route[]): PeerRoutes => ({ key, peer, routes });

  it("nothing changed: no diff", () => {
    const a = [pr("p", [route("10.0.0.1/32")])];
    assert.deepEqual(diffRoutes(a, a), []);
    assert.deepEqual(diffRoutes([], []), []);
  });

  it("announces new routes, withdraws gone ones, sorted", () => {
    const before = [pr("p", [route("10.0.0.1/32"), route("10.0.0.3/32")])];
    const after = [pr("p", [route("10.0.0.9/32"), route("10.0.0.2/32"), route("10.0.0.1/32")])];
    const d = diffRoutes(before, after);
    assert.deepEqual(d.length, 1);
    assert.deepEqual(
      d[0]!.announce.map((r) => r.prefix.toString()),
      ["10.0.0.2/32", "10.0.0.9/32"],
    );
    assert.deepEqual(d[0]!.withdraw.map(String), ["10.0.0.3/32"]);
  });

  it("a route whose communities or LOCAL_PREF changed is announced again; a change of Services alone is not", () => {
    const before = [pr("p", [route("10.0.0.1/32"), route("10.0.0.2/32"), route("10.0.0.3/32")])];
    const after = [
      pr("p", [
        route("10.0.0.1/32", { localPref: 100 }),
        route("10.0.0.2/32", { communities: [{ kind: "standard", value: 1 }] }),
        route("10.0.0.3/32", { services: ["ns/x", "ns/y"] }),
      ]),
    ];
    const d = diffRoutes(before, after);
    assert.deepEqual(
      d[0]!.announce.map((r) => r.prefix.toString()),
      ["10.0.0.1/32", "10.0.0.2/32"],
    );
    assert.deepEqual(d[0]!.withdraw, []);
  });

  it("a new peer gets everything; a removed peer has everything withdrawn", () => {
    const before = [pr("old", [route("10.0.0.1/32")])];
    const after = [pr("new", [route("10.0.0.1/32")]), pr("empty", [])];
    const d = diffRoutes(before, after);
    assert.deepEqual(
      d.map((x) => [x.key, x.announce.map((r) => r.prefix.toString()), x.withdraw.map(String)]),
      [
        ["new", ["10.0.0.1/32"], []],
        ["old", [], ["10.0.0.1/32"]],
      ],
    );
  });

  it("between two plans: a Service losing its local endpoint is withdrawn", () => {
    const s = svc("web", ["198.51.100.7"], { etp: "Local" });
    const with_ = plan(
      basic,
      snap({ services: [s], endpointSlices: [slice("web", [{ node: "n1" }])] }),
      "n1",
    );
    const without = plan(
      basic,
      snap({ services: [s], endpointSlices: [slice("web", [{ node: "n2" }])] }),
      "n1",
    );
    assert.deepEqual(
      diffRoutes(with_.bgp, without.bgp).map((x) => [x.key, x.announce.length, x.withdraw.map(String)]),
      [["10.0.0.1:179 64500>64501", 0, ["198.51.100.7/32"]]],
    );
  });
});
