// Rack-aware balancing (issue #8) against real FRR: a spine and two ToRs in namespaces, four
// of our speakers as nodes — rack r1 holds node a, rack r2 holds nodes b, c and d. Equal-cost
// multipath at the spine sends half of every Service's traffic to rack r1, so node a takes
// 50% while b, c and d take 16.7% each: the speakers must say so in /status, /metrics and
// their log (the analysis runs at most every 5 s, so waits for it allow 20 s). With
// `link-bandwidth: endpoints` on the pool, each node attaches the Link
// Bandwidth extended community (RFC 10005) in proportion to the traffic it should take; the
// ToRs weight their next hops by it (FRR weights multipaths by link bandwidth when every path
// carries one) and tell the spine the sum of their multipaths (`set extcommunity bandwidth
// cumulative`). The kernel next-hop weights FRR programs at the ToRs and the spine must match
// the weights our analysis computed.
//
//            spine (AS 65000)
//           /               \
//   tor1 (AS 65001)      tor2 (AS 65002)
//        |               /     |     \
//        a              b      c      d        (our speakers, AS 64600)
//
// Two Services: `web-local` (externalTrafficPolicy Local; endpoints a:1, b:1, c:1, d:2) and
// `web-cluster` (Cluster: every node takes one share). Then d loses an endpoint (the weights
// follow), and finally the community is sent non-transitive: FRR drops it towards the spine
// for the one-node rack, and the spine falls back to plain ECMP (why transitive is the default).

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { bird, frr, type KernelNextHop, Lab, need, waitFor } from "./lib/index.ts";
import type { FrrRouter } from "./lib/routers/frr.ts";
import type { SignalboxSpeaker, SpeakerConfig } from "./lib/speaker.ts";
import * as speaker from "./lib/speaker.ts";
import { configYaml } from "./lib/speaker.ts";

const labs: Lab[] = [];
after(async () => {
  for (const lab of labs) await lab.close();
  for (const lab of labs)
    assert.deepEqual(lab.remainingNamespaces(), [], `namespaces of ${lab.runId} remain`);
});

const SPINE_AS = 65000;
const NODE_AS = 64600;
const HOLD = 9;
const LOCAL_IP = "10.100.81.1";
const CLUSTER_IP = "10.100.81.2";
const ZONE = "topology.kubernetes.io/zone";
const HOSTNAME = "kubernetes.io/hostname";

interface NodeSpec {
  name: string;
  rack: "r1" | "r2";
  /** Serving endpoints of web-local on the node. */
  endpoints: number;
  /** Link to its ToR: 10.0.<net>.1 the ToR, .2 the node. */
  net: number;
}

const NODES: NodeSpec[] = [
  { name: "a", rack: "r1", endpoints: 1, net: 82 },
  { name: "b", rack: "r2", endpoints: 1, net: 83 },
  { name: "c", rack: "r2", endpoints: 1, net: 84 },
  { name: "d", rack: "r2", endpoints: 2, net: 85 },
];
const TORS = [
  { rack: "r1", asn: 65001, uplink: 80 },
  { rack: "r2", asn: 65002, uplink: 81 },
] as const;

/** Node, EndpointSlice and Service manifests, the same folder contents on every node. */
function objects(localEndpoints: (n: NodeSpec) => number = (n) => n.endpoints): unknown[] {
  const nodes = NODES.map((n) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels: { [ZONE]: n.rack, [HOSTNAME]: n.name } },
  }));
  let pod = 0;
  const endpoints = (perNode: (n: NodeSpec) => number) =>
    NODES.flatMap((n) =>
      Array.from({ length: perNode(n) }, () => ({
        addresses: [`10.244.${++pod >> 8}.${pod & 255}`],
        conditions: { ready: true },
        nodeName: n.name,
      })),
    );
  const slice = (service: string, eps: unknown[]) => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${service}-1`,
      namespace: "default",
      labels: { "kubernetes.io/service-name": service },
    },
    addressType: "IPv4",
    endpoints: eps,
  });
  return [
    ...nodes,
    slice("web-local", endpoints(localEndpoints)),
    slice(
      "web-cluster",
      endpoints(() => 1),
    ),
  ];
}

function peerOf(node: NodeSpec, selector: boolean): SpeakerConfig["peers"][number] {
  return {
    address: `10.0.${node.net}.1`,
    peerAsn: TORS.find((t) => t.rack === node.rack)!.asn,
    myAsn: NODE_AS,
    holdTime: HOLD,
    routerId: `10.0.${node.net}.2`,
    ...(selector ? { extra: [`node-selectors: [{match-labels: {"${HOSTNAME}": "${node.name}"}}]`] } : {}),
  };
}

/**
 * The node's config: its own peer only, or (`shared`) one ConfigMap for the whole cluster as
 * in production: every node's peer, each selected by the node's hostname label (per-link
 * peering: every node has its own ToR address).
 */
function config(node: NodeSpec, linkBandwidth: boolean, shared = false): SpeakerConfig {
  return {
    peers: shared ? NODES.map((n) => peerOf(n, true)) : [peerOf(node, false)],
    pools: [{ name: linkBandwidth ? "weighted" : "plain", addresses: ["10.100.81.0/24"] }],
  };
}

/** The ConfigMap with our additions, which the harness's YAML writer does not know. */
function writeConfig(
  sp: SignalboxSpeaker,
  node: NodeSpec,
  linkBandwidth: boolean,
  transitive = true,
  racksFrom = "label",
): void {
  let yaml = configYaml(config(node, linkBandwidth, racksFrom !== "label"));
  yaml = yaml.replace(
    "  protocol: bgp\n",
    `  protocol: bgp\n  link-bandwidth: ${linkBandwidth ? "endpoints" : "off"}\n`,
  );
  yaml += `rack-balance:\n  rack-label: "${ZONE}"\n  racks-from: ${racksFrom}\n  imbalance-threshold: 1.5\n  link-bandwidth-transitive: ${transitive}\n`;
  sp.writeManifest("config.json", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { namespace: "metallb-system", name: "config" },
    data: { config: yaml },
  });
}

interface BalanceJson {
  services: {
    service: string;
    policy: string;
    imbalance: number;
    weightedImbalance: number;
    linkBandwidth: boolean;
    warning?: string;
    summary: string;
    nodes: {
      node: string;
      rack: string;
      endpoints: number;
      share: number;
      weight: number;
      weightedShare: number;
    }[];
    racks: { rack: string; nodes: number; share: number; weightedShare: number }[];
  }[];
}

async function balanceOf(sp: SignalboxSpeaker): Promise<BalanceJson> {
  const s = (await sp.status()) as unknown as { balance?: BalanceJson };
  if (s.balance === undefined) throw new Error("no balance section in /status yet");
  return s.balance;
}

/**
 * The kernel weights FRR 8.x programs for weighted ECMP (bgpd `bgp_zebra_use_nhop_weighted`):
 * each next hop gets floor(100 × its link bandwidth / the sum over the multipaths), and at
 * least 1 (measured: a next hop with under 1% of the total gets weight 1).
 */
function frrWeights(bandwidths: readonly number[]): number[] {
  const total = bandwidths.reduce((a, b) => a + b, 0);
  return bandwidths.map((b) => Math.max(1, Math.floor((b * 100) / total)));
}

const sameWeights = (a: Record<string, number>, b: Record<string, number>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** gateway → weight (1 when the kernel shows none: plain ECMP). */
function weightsByGateway(hops: readonly KernelNextHop[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of hops) out[h.gateway ?? "?"] = h.weight ?? 1;
  return out;
}

test("rack balance: uneven racks are warned about; link-bandwidth weights reach FRR's kernel next hops", async (t) => {
  if (!need(t, ["frr"])) return;
  const lab = await Lab.create();
  labs.push(lab);

  // Namespaces and links.
  const spineNs = await lab.addNamespace("spine");
  const torNs = new Map<string, string>();
  for (const tor of TORS) {
    const ns = await lab.addNamespace(`tor-${tor.rack}`);
    torNs.set(tor.rack, ns);
    await lab.addVeth(
      { ns: spineNs, ifname: `to-${tor.rack}`, addresses: [`10.0.${tor.uplink}.1/24`] },
      { ns, ifname: "uplink", addresses: [`10.0.${tor.uplink}.2/24`] },
    );
  }
  const nodeNs = new Map<string, string>();
  for (const n of NODES) {
    const ns = await lab.addNamespace(`node-${n.name}`);
    nodeNs.set(n.name, ns);
    await lab.addVeth(
      { ns: torNs.get(n.rack)!, ifname: `to-${n.name}`, addresses: [`10.0.${n.net}.1/24`] },
      { ns, ifname: "eth0", addresses: [`10.0.${n.net}.2/24`] },
    );
    // Return traffic and BGP next hops beyond the ToR.
    await lab.run(ns, ["ip", "route", "add", "default", "via", `10.0.${n.net}.1`]);
  }

  // Routers: multipath everywhere; the ToRs pass node routes up to the spine (transit).
  const spine = await frr.start(lab, spineNs, {
    asn: SPINE_AS,
    routerId: "10.0.80.1",
    multipath: 8,
    neighbors: TORS.map((tor) => ({ address: `10.0.${tor.uplink}.2`, peerAs: tor.asn, holdTime: HOLD })),
  });
  const tors = new Map<string, FrrRouter>();
  for (const tor of TORS) {
    const r = await frr.start(lab, torNs.get(tor.rack)!, {
      asn: tor.asn,
      routerId: `10.0.${tor.uplink}.2`,
      multipath: 8,
      transit: true,
      neighbors: [
        { address: `10.0.${tor.uplink}.1`, peerAs: SPINE_AS, holdTime: HOLD },
        ...NODES.filter((n) => n.rack === tor.rack).map((n) => ({
          address: `10.0.${n.net}.2`,
          peerAs: NODE_AS,
          holdTime: HOLD,
        })),
      ],
    });
    // draft-ietf-bess-ebgp-dmz §4: the ToR advertises the sum of its multipaths' bandwidth.
    await r.vtysh(
      [
        "configure terminal",
        "route-map TO-SPINE permit 10",
        "set extcommunity bandwidth cumulative",
        "exit",
        `router bgp ${tor.asn}`,
        "address-family ipv4 unicast",
        `neighbor 10.0.${tor.uplink}.1 route-map TO-SPINE out`,
      ],
      10_000,
    );
    tors.set(tor.rack, r);
  }

  // Our speakers, link-bandwidth off first.
  const speakers = new Map<string, SignalboxSpeaker>();
  for (const n of NODES) {
    const sp = await speaker.start(lab, nodeNs.get(n.name)!, {
      node: n.name,
      ...config(n, false),
      services: [
        { name: "web-local", ips: [LOCAL_IP], externalTrafficPolicy: "Local" },
        { name: "web-cluster", ips: [CLUSTER_IP] },
      ],
      objects: objects(),
      logLevel: "info",
    });
    writeConfig(sp, n, false);
    speakers.set(n.name, sp);
  }
  for (const n of NODES) await speakers.get(n.name)!.waitEstablished(`10.0.${n.net}.1`, 30_000);

  const r2Nodes = NODES.filter((n) => n.rack === "r2");
  const gw = (n: NodeSpec) => `10.0.${n.net}.2`;
  const uplink = (rack: string) => `10.0.${TORS.find((x) => x.rack === rack)!.uplink}.2`;

  await t.test("equal-cost: the spine splits 50/50 over racks, the status warns in words", async () => {
    for (const ip of [LOCAL_IP, CLUSTER_IP]) {
      const hops = await waitFor(() => spine.kernelRoutes(`${ip}/32`), {
        what: `the spine installing ${ip} via both ToRs`,
        timeoutMs: 30_000,
        until: (h) => h.length === 2,
      });
      assert.deepEqual(Object.values(weightsByGateway(hops)), [1, 1], JSON.stringify(hops));
      await waitFor(() => tors.get("r2")!.kernelRoutes(`${ip}/32`), {
        what: `tor r2 installing ${ip} via b, c and d`,
        timeoutMs: 20_000,
        until: (h) => h.length === 3,
      });
    }
    const b = await waitFor(() => balanceOf(speakers.get("a")!), {
      what: "node a's /status balance listing both Services",
      timeoutMs: 20_000,
      until: (x) => x.services.length === 2,
    });
    const local = b.services.find((s) => s.service === "default/web-local")!;
    const cluster = b.services.find((s) => s.service === "default/web-cluster")!;
    // Local: a takes 50% with 1 endpoint; fair per endpoint is 1/5.
    assert.equal(local.policy, "Local");
    assert.ok(Math.abs(local.imbalance - 2.5) < 1e-9, String(local.imbalance));
    assert.match(local.warning ?? "", /rack r1: 1 node with 1 endpoint announces and takes 50% of traffic/);
    assert.match(local.warning ?? "", /rack r2: 3 nodes with 4 endpoints take 16\.7% each/);
    // Cluster: a takes 50%; fair per node is 1/4.
    assert.ok(Math.abs(cluster.imbalance - 2) < 1e-9, String(cluster.imbalance));
    assert.match(
      cluster.warning ?? "",
      /rack r1: 1 node announces and takes 50% of traffic; rack r2: 3 nodes take 16\.7% each/,
    );
    // Every speaker sees the same cluster and says the same.
    for (const n of NODES.slice(1)) {
      const other = await balanceOf(speakers.get(n.name)!);
      assert.deepEqual(other.services, b.services, `node ${n.name} agrees with node a`);
    }
    const metrics = await lab.run(nodeNs.get("b")!, [
      "curl",
      "-sS",
      "--max-time",
      "2",
      "http://127.0.0.1:7473/metrics",
    ]);
    assert.match(metrics, /signalbox_service_imbalance_ratio\{service="default\/web-local"\} 2\.5/);
    assert.match(metrics, /signalbox_service_imbalance_warning\{service="default\/web-cluster"\} 1/);
    const log = speakers.get("c")!.logTail(200);
    assert.match(log, /uneven ECMP for Service default\/web-local/);
  });

  /**
   * For each Service of the analysis: the kernel weights at ToR r2 and at the spine match
   * FRR's formula applied to the weights our analysis computed. Returns what was measured.
   */
  async function checkWeights(b: BalanceJson): Promise<string[]> {
    const measured: string[] = [];
    for (const svc of b.services) {
      const ip = svc.service === "default/web-local" ? LOCAL_IP : CLUSTER_IP;
      assert.equal(svc.warning, undefined, "the pool corrects: no warning");
      assert.ok(Math.abs(svc.weightedImbalance - 1) < 1e-9, String(svc.weightedImbalance));
      const weightOf = (node: string) => svc.nodes.find((x) => x.node === node)!.weight;
      // What the ToR received: each node's weight in units of 1 Mbit/s (125 000 octets/s).
      const paths = await tors.get("r2")!.waitRoute(`${ip}/32`, {
        timeoutMs: 20_000,
        until: (ps) =>
          ps.length === 3 &&
          ps.every((p) => {
            const n = r2Nodes.find((x) => gw(x) === p.nextHops[0]);
            return (
              n !== undefined && p.extendedCommunities.includes(`LB:${NODE_AS}:${weightOf(n.name) * 125000}`)
            );
          }),
      });
      assert.equal(paths.length, 3);
      // ToR r2: one next hop per node, weighted by the node's own link bandwidth.
      const torExpected = frrWeights(r2Nodes.map((n) => weightOf(n.name)));
      const want: Record<string, number> = {};
      r2Nodes.forEach((n, i) => {
        want[gw(n)] = torExpected[i]!;
      });
      const torHops = await waitFor(
        async () => weightsByGateway(await tors.get("r2")!.kernelRoutes(`${ip}/32`)),
        {
          what: `tor r2's kernel weights for ${ip} to become ${JSON.stringify(want)}`,
          timeoutMs: 30_000,
          until: (got) => sameWeights(got, want),
        },
      );
      // Spine: one next hop per ToR, weighted by the sum of its rack's nodes.
      const rackTotals = TORS.map((tor) =>
        NODES.filter((n) => n.rack === tor.rack).reduce((s, n) => s + weightOf(n.name), 0),
      );
      const spineExpected = frrWeights(rackTotals);
      const wantSpine: Record<string, number> = {};
      TORS.forEach((tor, i) => {
        wantSpine[uplink(tor.rack)] = spineExpected[i]!;
      });
      const spineHops = await waitFor(async () => weightsByGateway(await spine.kernelRoutes(`${ip}/32`)), {
        what: `the spine's kernel weights for ${ip} to become ${JSON.stringify(wantSpine)}`,
        timeoutMs: 30_000,
        until: (got) => sameWeights(got, wantSpine),
      }).catch(async (e: Error) => {
        const seen = (await spine.receivedRoutes("ipv4")).filter((r) => r.prefix === `${ip}/32`);
        throw new Error(`${e.message}\nspine receives: ${JSON.stringify(seen)}`);
      });
      measured.push(
        `${svc.service}: weights ${svc.nodes.map((n) => `${n.node}=${n.weight}`).join(" ")}; tor r2 kernel ${JSON.stringify(torHops)} (computed ${JSON.stringify(want)}); spine kernel ${JSON.stringify(spineHops)} (computed ${JSON.stringify(wantSpine)})`,
      );
    }
    return measured;
  }

  await t.test("link-bandwidth: endpoints: FRR's kernel weights match the computed ones", async () => {
    for (const n of NODES) writeConfig(speakers.get(n.name)!, n, true);
    const b = await waitFor(() => balanceOf(speakers.get("a")!), {
      what: "the analysis to see the weighted pool",
      timeoutMs: 20_000,
      until: (x) => x.services.length === 2 && x.services.every((s) => s.linkBandwidth),
    });
    const local = b.services.find((s) => s.service === "default/web-local")!;
    assert.deepEqual(
      local.nodes.map((n) => [n.node, n.weight]),
      NODES.map((n) => [n.name, n.endpoints]),
    );
    for (const line of await checkWeights(b)) t.diagnostic(line);
  });

  await t.test("an endpoint goes away: the node's weight and FRR's next-hop weights follow", async () => {
    // d drops from 2 endpoints of web-local to 1.
    const fewer = objects((n) => (n.name === "d" ? 1 : n.endpoints));
    for (const n of NODES)
      speakers.get(n.name)!.writeManifest("extra.json", { apiVersion: "v1", kind: "List", items: fewer });
    const b = await waitFor(() => balanceOf(speakers.get("b")!), {
      what: "the analysis to see d with one endpoint",
      timeoutMs: 20_000,
      until: (x) =>
        x.services.find((s) => s.service === "default/web-local")?.nodes.find((n) => n.node === "d")
          ?.weight === 1,
    });
    for (const line of await checkWeights(b)) t.diagnostic(line);
  });

  await t.test("a node with under 1% of the traffic: FRR rounds its weight up to 1", async () => {
    // d grows to 150 endpoints of web-local: b and c get 1/152 of rack r2, a 1/153 at the spine.
    const many = objects((n) => (n.name === "d" ? 150 : n.endpoints));
    for (const n of NODES)
      speakers.get(n.name)!.writeManifest("extra.json", { apiVersion: "v1", kind: "List", items: many });
    const b = await waitFor(() => balanceOf(speakers.get("c")!), {
      what: "the analysis to see d with 150 endpoints",
      timeoutMs: 20_000,
      until: (x) =>
        x.services.find((s) => s.service === "default/web-local")?.nodes.find((n) => n.node === "d")
          ?.weight === 150,
    });
    for (const line of await checkWeights(b)) t.diagnostic(line);
  });

  await t.test(
    "link-bandwidth-transitive: false: FRR drops the community towards the spine, which falls back to plain ECMP",
    async () => {
      for (const n of NODES) writeConfig(speakers.get(n.name)!, n, true, false);
      // ToR r2 still weights its nodes and sends the spine its cumulative value; ToR r1 (one
      // path, no cumulative value) forwards a path without any, so the spine splits 50/50.
      const hops = await waitFor(async () => weightsByGateway(await spine.kernelRoutes(`${CLUSTER_IP}/32`)), {
        what: `the spine's kernel weights for ${CLUSTER_IP} to fall back to equal`,
        timeoutMs: 30_000,
        until: (got) => sameWeights(got, { [uplink("r1")]: 1, [uplink("r2")]: 1 }),
      });
      t.diagnostic(`non-transitive: spine kernel ${JSON.stringify(hops)}`);
      const r1 = (await spine.receivedRoutes("ipv4")).find(
        (r) => r.prefix === `${CLUSTER_IP}/32` && r.peer === uplink("r1"),
      );
      assert.deepEqual(r1?.extendedCommunities, [], JSON.stringify(r1));
    },
  );

  await t.test("racks-from: peer-asn finds the racks without labels: each ToR has its own AS", async () => {
    for (const n of NODES) writeConfig(speakers.get(n.name)!, n, false, true, "peer-asn");
    const b = await waitFor(() => balanceOf(speakers.get("d")!), {
      what: "the analysis to name racks by their ToR's AS",
      timeoutMs: 20_000,
      until: (x) => x.services.some((s) => s.racks.some((r) => r.rack === "as:65001")),
    });
    const cluster = b.services.find((s) => s.service === "default/web-cluster")!;
    assert.deepEqual(
      cluster.racks.map((r) => [r.rack, r.nodes]),
      [
        ["as:65001", 1],
        ["as:65002", 3],
      ],
    );
    assert.match(cluster.warning ?? "", /rack as:65001: 1 node announces and takes 50% of traffic/);
  });
});

test("a router that does not weight ECMP (BIRD 2) keeps the route and the community, and splits evenly", async (t) => {
  if (!need(t, ["bird"])) return;
  const lab = await Lab.create();
  labs.push(lab);
  const torNs = await lab.addNamespace("tor");
  const nodes = [
    { name: "p", net: 86, endpoints: 1 },
    { name: "q", net: 87, endpoints: 3 },
  ];
  const tor = await bird.start(lab, torNs, {
    asn: 65001,
    routerId: "10.0.86.1",
    multipath: 8,
    neighbors: nodes.map((n) => ({ address: `10.0.${n.net}.2`, peerAs: NODE_AS, holdTime: HOLD })),
  });
  const objects = [
    ...nodes.map((n) => ({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: n.name, labels: { [ZONE]: "r1" } },
    })),
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-1", namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: nodes.flatMap((n, i) =>
        Array.from({ length: n.endpoints }, (_, k) => ({
          addresses: [`10.244.${i}.${k + 1}`],
          conditions: { ready: true },
          nodeName: n.name,
        })),
      ),
    },
  ];
  for (const n of nodes) {
    const ns = await lab.addNamespace(`node-${n.name}`);
    await lab.addVeth(
      { ns: torNs, ifname: `to-${n.name}`, addresses: [`10.0.${n.net}.1/24`] },
      { ns, ifname: "eth0", addresses: [`10.0.${n.net}.2/24`] },
    );
    const cfg: SpeakerConfig = {
      peers: [
        {
          address: `10.0.${n.net}.1`,
          peerAsn: 65001,
          myAsn: NODE_AS,
          holdTime: HOLD,
          routerId: `10.0.${n.net}.2`,
        },
      ],
      pools: [{ name: "weighted", addresses: ["10.100.86.0/24"] }],
    };
    const sp = await speaker.start(lab, ns, {
      node: n.name,
      ...cfg,
      services: [{ name: "web", ips: ["10.100.86.1"], externalTrafficPolicy: "Local" }],
      objects,
      logLevel: "info",
    });
    sp.writeManifest("config.json", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { namespace: "metallb-system", name: "config" },
      data: {
        config: configYaml(cfg).replace(
          "  protocol: bgp\n",
          "  protocol: bgp\n  link-bandwidth: endpoints\n",
        ),
      },
    });
  }
  // Both paths arrive with the community. BIRD prints an extended community it does not know
  // as "(unknown 0x<subtype>, <AS>, <value>)": subtype 4, our AS, the bandwidth's float32 bits.
  const paths = await tor.waitRoute("10.100.86.1/32", {
    timeoutMs: 30_000,
    until: (ps) => ps.length === 2 && ps.every((p) => p.extendedCommunities.length === 1),
  });
  const floatBits = (x: number) => {
    const v = new DataView(new ArrayBuffer(4));
    v.setFloat32(0, x);
    return v.getUint32(0);
  };
  const seen = paths.map((p) => p.extendedCommunities[0]).sort();
  const want = nodes.map((n) => `(unknown 0x4, ${NODE_AS}, ${floatBits(n.endpoints * 125_000)})`).sort();
  assert.deepEqual(seen, want, JSON.stringify(paths));
  // The kernel gets plain ECMP: one next hop per node, equal weights, whatever the community says.
  const hops = await waitFor(() => tor.kernelRoutes("10.100.86.1/32"), {
    what: "BIRD installing both next hops",
    timeoutMs: 20_000,
    until: (h) => h.length === 2,
  });
  assert.deepEqual(
    hops.map((h) => h.weight ?? 1),
    [1, 1],
    JSON.stringify(hops),
  );
  t.diagnostic(`BIRD: communities ${JSON.stringify(seen)}, kernel ${JSON.stringify(hops)}`);
});
