/** plan()'s `l2Cluster`: every layer-2 address with its eligible nodes, the same on every node. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { IpAddress } from "../../../../protocol/ip/index.ts";
import type { ClusterSnapshot } from "../../../../src/cluster/index.ts";
import { parseConfig } from "../../../../src/config/index.ts";
import { plan } from "../../../../src/speaker/plan.ts";

const r = parseConfig("address-pools: [{name: l2, protocol: layer2, addresses: [192.168.1.240/28]}]\n");
assert.ok(r.ok);
const config = r.config;

const snapshot: ClusterSnapshot = {
  configMap: undefined,
  services: [
    {
      metadata: { namespace: "ns", name: "local" },
      spec: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
      status: { loadBalancer: { ingress: [{ ip: "192.168.1.241" }] } },
    },
    {
      metadata: { namespace: "ns", name: "web" },
      spec: { type: "LoadBalancer" },
      status: { loadBalancer: { ingress: [{ ip: "192.168.1.242" }] } },
    },
  ],
  nodes: ["n1", "n2", "n3"].map((name) => ({ metadata: { name } })),
  endpointSlices: [
    {
      metadata: { namespace: "ns", name: "local-1", labels: { "kubernetes.io/service-name": "local" } },
      endpoints: [{ addresses: ["10.1.0.5"], nodeName: "n2" }],
    },
  ],
};

test("l2Cluster lists addresses this node is not eligible for, with the same eligible sets on every node", () => {
  const views = ["n1", "n2", "n3"].map((n) => plan(config, snapshot, n));
  for (const d of views) {
    assert.deepEqual(
      d.l2Cluster.map((a) => [String(a.ip), a.eligibleNodes]),
      [
        ["192.168.1.241", ["n2"]],
        ["192.168.1.242", ["n1", "n2", "n3"]],
      ],
    );
  }
  // n1 is not eligible for the Local Service: absent from its `l2`, present (no services) in l2Cluster.
  assert.deepEqual(
    views[0]!.l2.map((a) => String(a.ip)),
    ["192.168.1.242"],
  );
  assert.deepEqual(views[0]!.l2Cluster[0]!.services, []);
  assert.ok(views[1]!.l2.some((a) => a.ip.equals(IpAddress.of("192.168.1.241"))));
});
