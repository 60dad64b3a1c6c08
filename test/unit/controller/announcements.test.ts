/**
 * One event per Service saying which nodes announce it and why the others do not: the
 * cluster-wide verdicts agree with plan() node by node, and the text groups nodes by reason.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterSnapshot, NodeLike, ServiceLike } from "../../../src/cluster/index.ts";
import { parseConfig } from "../../../src/config/index.ts";
import {
  announcementEvents,
  announcements,
  announcementText,
} from "../../../src/controller/announcements.ts";
import { plan } from "../../../src/speaker/plan.ts";

const r = parseConfig(`
peers:
- peer-address: 10.0.0.1
  peer-asn: 64512
  my-asn: 64513
  node-selectors:
  - match-labels: {rack: r1}
address-pools:
- name: web
  protocol: bgp
  addresses: [192.0.2.0/28]
- name: l2
  protocol: layer2
  addresses: [192.0.2.64/28]
`);
if (!r.ok) throw new Error(JSON.stringify(r.errors));
const config = r.config;

const node = (name: string, labels: Record<string, string> = { rack: "r1" }, cordoned = false): NodeLike => ({
  metadata: { name, labels },
  ...(cordoned ? { spec: { unschedulable: true } } : {}),
});
const svc = (name: string, ip: string, local = false): ServiceLike => ({
  metadata: { name, namespace: "apps" },
  spec: { type: "LoadBalancer", ...(local ? { externalTrafficPolicy: "Local" } : {}) },
  status: { loadBalancer: { ingress: [{ ip }] } },
});

const snapshot: ClusterSnapshot = {
  configMap: undefined,
  nodes: [node("n1"), node("n2"), node("n3", { rack: "r2" }), node("n4", { rack: "r1" }, true)],
  services: [svc("web", "192.0.2.1"), svc("local", "192.0.2.2", true), svc("arp", "192.0.2.65")],
  endpointSlices: [
    {
      metadata: { name: "local-1", namespace: "apps", labels: { "kubernetes.io/service-name": "local" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.1.0.1"], nodeName: "n2", conditions: { ready: true } }],
    },
  ],
};

describe("announcements", () => {
  const list = announcements(config, snapshot);
  const by = new Map(list.map((a) => [a.service, a]));

  it("agrees with plan() on every node for every BGP Service", () => {
    for (const n of snapshot.nodes) {
      const d = plan(config, snapshot, n.metadata.name);
      for (const s of d.services) {
        const a = by.get(s.key);
        if (a === undefined || !a.protocols.includes("bgp")) continue;
        assert.equal(a.nodes.includes(n.metadata.name), s.announced, `${s.key} on ${n.metadata.name}`);
        if (!s.announced)
          assert.equal(
            a.not.find((x) => x.node === n.metadata.name)?.reason,
            s.reason,
            `${s.key} on ${n.metadata.name}`,
          );
      }
    }
  });

  it("groups the nodes that do not announce by reason, in words", () => {
    assert.equal(
      announcementText(by.get("apps/web")!),
      "192.0.2.1 announced over BGP by n1, n2; not by n3 (noMatchingPeer); n4 (nodeCordoned)",
    );
    assert.equal(
      announcementText(by.get("apps/local")!),
      "192.0.2.2 announced over BGP by n2; not by n1 (noLocalEndpoints); n3 (noMatchingPeer); n4 (nodeCordoned)",
    );
    assert.match(
      announcementText(by.get("apps/arp")!),
      /^192\.0\.2\.65 \(layer 2\): eligible to answer n1, n2, n3; /,
    );
  });

  it("tells each text once, again when it changes, and warns when no node announces", () => {
    const first = announcementEvents(new Map(), list);
    assert.equal(first.events.length, 3);
    assert.equal(announcementEvents(first.told, list).events.length, 0);
    const none = announcements(config, { ...snapshot, endpointSlices: [] }).find(
      (a) => a.service === "apps/local",
    )!;
    const again = announcementEvents(first.told, [none]);
    assert.equal(again.events[0]?.type, "Warning");
    assert.equal(again.events[0]?.reason, "NotAnnounced");
    assert.match(again.events[0]!.message, /announced by no node; not by n1, n2 \(noLocalEndpoints\)/);
  });

  it("names at most eight nodes per group and counts the rest", () => {
    const many = Array.from({ length: 12 }, (_, i) => node(`m${String(i).padStart(2, "0")}`));
    const a = announcements(config, { ...snapshot, nodes: many })[0]!;
    assert.match(announcementText(a), /by m00, m01, m02, m03, m04, m05, m06, m07 and 4 more$/);
  });
});
