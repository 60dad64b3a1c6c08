// Layer 2 end to end with the real API: two speakers (n1, n2) in network namespaces on one
// bridge with a client, the controller allocating, each speaker renewing its node Lease.
//
//   1. One node answers ARP for the Service IP.
//   2. A one-way fault: the other node stops hearing the owner's heartbeats (the bridge stops
//      flooding multicast to its port), while the owner, the client and the API see everything.
//      The owner's Lease keeps being renewed, so the other node yields: after a short settle,
//      only the owner answers, and the client's neighbour entry is the owner's MAC. Without the
//      API both would answer for as long as the fault lasted (src/speaker/l2/README.md).
//   3. The fault heals; the owner's speaker is killed: the other node takes over.
//
// The speakers reach the API server through a loopback forwarder in their namespace
// (lib/netns-api.ts), so nothing leaves loopback and the namespaces this test made.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { arping, type Daemon, Lab, macOf, missingPrerequisites, neighbours } from "../netns/lib/index.ts";
import { startCluster, waitFor } from "./lib/apiserver.ts";
import { apiInNamespace } from "./lib/netns-api.ts";
import { binariesOrSkip, prerequisites } from "./lib/prereq.ts";
import { type Proc, SIGNALBOX, startSignalbox } from "./lib/signalbox.ts";

const prereqs = await prerequisites(
  missingPrerequisites(["arping"]) ??
    (existsSync("/usr/bin/python3") ? undefined : "/usr/bin/python3 (Debian python3)"),
);

const NS = "signalbox-system";
const IP = "10.214.0.240";

interface L2Status {
  layer2?: {
    members: { node: string; state: string }[];
    addresses: { ip: string; answering: boolean; reason?: string }[];
  };
}

test("layer 2 with the API as arbiter: a one-way heartbeat fault settles on one answering node; a killed owner is replaced", {
  timeout: 4 * 60_000,
}, async (t) => {
  const binaries = binariesOrSkip(t, prereqs);
  if (binaries === undefined) return;
  const cluster = await startCluster({ binaries });
  const lab = await Lab.create();
  let controller: Proc | undefined;
  try {
    const sw = await lab.addBridge("sw");
    const client = await lab.addNamespace("client");
    await lab.connectToBridge({ ns: client, ifname: "eth0", addresses: ["10.214.0.100/24"] }, sw);
    const nodes = new Map<string, { ns: string; port: string; mac: string; speaker?: Daemon }>();
    for (const [i, n] of ["n1", "n2"].entries()) {
      const ns = await lab.addNamespace(n);
      const port = await lab.connectToBridge(
        { ns, ifname: "eth0", addresses: [`10.214.0.${11 + i}/24`] },
        sw,
      );
      nodes.set(n, { ns, port, mac: await macOf(lab, ns, "eth0") });
    }

    const api = cluster.api;
    await api.ok("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NS },
    });
    for (const n of nodes.keys())
      await api.ok("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: n } });
    await api.ok("POST", `/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "config", namespace: NS },
      data: {
        config: "address-pools:\n- name: segment\n  protocol: layer2\n  addresses: [10.214.0.240/29]\n",
      },
    });
    await api.ok("POST", "/api/v1/namespaces/default/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "default" },
      spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }] },
    });
    controller = await startSignalbox("controller", "controller", ["--namespace", NS], {
      kubeconfig: cluster.kubeconfigPath,
      dir: cluster.dir,
    });
    for (const [n, x] of nodes) {
      const kubeconfig = await apiInNamespace(lab, x.ns, cluster);
      x.speaker = lab.spawn(x.ns, [
        SIGNALBOX,
        ...["speaker", "--node", n, "--kubeconfig", kubeconfig, "--namespace", NS],
        ...["--bgp-listen", "off", "--status-address", "127.0.0.1:7473", "--log-level", "debug"],
      ]);
    }
    const status = async (n: string): Promise<L2Status> => {
      const out = await lab.run(
        nodes.get(n)!.ns,
        ["curl", "-sS", "--max-time", "2", "http://127.0.0.1:7473/status"],
        {
          timeoutMs: 3000,
        },
      );
      return JSON.parse(out) as L2Status;
    };
    const answering = async (n: string) =>
      (await status(n)).layer2?.addresses.find((a) => a.ip === IP)?.answering === true;
    const who = (mac: string) => [...nodes].find(([, x]) => x.mac === mac)?.[0] ?? mac;

    // 1. One node answers.
    let owner = "";
    await waitFor(
      "exactly one node answering ARP for the Service IP",
      async () => {
        const r = await arping(lab, client, "eth0", IP, { count: 2, timeoutSec: 2 });
        if (r.macs.length !== 1) return false;
        owner = who(r.macs[0]!);
        return nodes.has(owner);
      },
      60_000,
      250,
    );
    const other = owner === "n1" ? "n2" : "n1";
    await waitFor(
      "both node Leases renewed",
      async () => {
        const l = await api.ok<{ items: { spec: { holderIdentity?: string } }[] }>(
          "GET",
          `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases?labelSelector=app.kubernetes.io/component=speaker`,
        );
        return l.items.filter((x) => x.spec.holderIdentity).length === 2;
      },
      20_000,
    );

    // 2. One-way fault: the other node no longer hears the owner's heartbeats (multicast).
    await lab.run(sw.ns, ["bridge", "link", "set", "dev", nodes.get(other)!.port, "mcast_flood", "off"]);
    const faultAt = Date.now();
    await waitFor(
      `${other} hears nothing from ${owner}, sees its Lease renewed, and yields`,
      async () => {
        const s = await status(other);
        const m = s.layer2?.members.find((x) => x.node === owner);
        return m?.state === "disputed" && !(await answering(other));
      },
      20_000,
      100,
    );
    const settledIn = Date.now() - faultAt;
    // From now on only the owner answers, and the client's entry is the owner's MAC.
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++)
      for (const m of (await arping(lab, client, "eth0", IP, { count: 1, timeoutSec: 1 })).macs)
        seen.add(who(m));
    assert.deepEqual([...seen], [owner], "only the owner answers while the fault lasts");
    assert.ok(await answering(owner), `${owner} still answers`);
    // The client's kernel resolves the IP afresh (a ping's ARP; nobody need answer the ping).
    await lab.exec(client, ["ip", "neigh", "flush", "dev", "eth0"]);
    await lab.exec(client, ["ping", "-c", "1", "-W", "1", IP], { timeoutMs: 5000 });
    await waitFor(
      "the client's neighbour entry is the owner's MAC",
      async () =>
        (await neighbours(lab, client, "eth0")).find((x) => x.dst === IP)?.lladdr === nodes.get(owner)!.mac,
      10_000,
    );
    t.diagnostic(`one-way fault settled in ${settledIn} ms (disputed, ${other} yields)`);

    // 3. Heal, then kill the owner's speaker: the other takes over.
    await lab.run(sw.ns, ["bridge", "link", "set", "dev", nodes.get(other)!.port, "mcast_flood", "on"]);
    await waitFor(
      `${other} hears ${owner} again`,
      async () => (await status(other)).layer2?.members.find((x) => x.node === owner)?.state === "alive",
      10_000,
      100,
    );
    const killedAt = Date.now();
    nodes.get(owner)!.speaker!.signal("SIGKILL");
    await waitFor(
      `${other} answering after ${owner} died`,
      async () =>
        (await arping(lab, client, "eth0", IP, { count: 1, timeoutSec: 1 })).macs.map(who).join() === other,
      15_000,
      100,
    );
    t.diagnostic(
      `takeover after the owner's death: ${Date.now() - killedAt} ms (arping rounds of up to 1 s)`,
    );
  } finally {
    await controller?.stop("SIGKILL").catch(() => {});
    await lab.close();
    await cluster.stop();
  }
});
