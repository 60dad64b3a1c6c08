// A speaker in API mode with a layer-2 pool: it answers ARP for the Service IP on the one
// interface the pool names (a veth into a client namespace this test made), renews its node
// Lease in the API while it answers (the layer-2 arbiter's evidence for the other speakers),
// and releases the Lease when it stops.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import { arping, Lab, macOf, missingPrerequisites } from "../netns/lib/index.ts";
import { startCluster, waitFor } from "./lib/apiserver.ts";
import { binariesOrSkip, prerequisites } from "./lib/prereq.ts";
import { type Proc, startSignalbox } from "./lib/signalbox.ts";

const execFileP = promisify(execFile);

const prereqs = await prerequisites(missingPrerequisites(["arping"]));

const NS = "signalbox-system";
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;

type Lease = { spec: { holderIdentity?: string; renewTime?: string } };

test("layer 2 in API mode: ARP answered on the pool's interface, node Lease renewed, released on stop", {
  timeout: 3 * 60_000,
}, async (t) => {
  const binaries = binariesOrSkip(t, prereqs);
  if (binaries === undefined) return;
  const cluster = await startCluster({ binaries });
  const lab = await Lab.create();
  let speaker: Proc | undefined;
  let controller: Proc | undefined;
  try {
    // The speaker runs beside the API server (127.0.0.1 only); its layer-2 interface is one end
    // of a veth whose other end is the client's, in a namespace of our own.
    const client = await lab.addNamespace("client");
    const host = `sl${lab.runId}`;
    await execFileP("ip", ["link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", client]);
    await execFileP("ip", ["addr", "add", "10.211.0.1/24", "dev", host]);
    await execFileP("ip", ["link", "set", host, "up"]);
    await lab.addAddress(client, "eth0", "10.211.0.2/24");
    await lab.setLink(client, "eth0", "up");

    const api = cluster.api;
    await api.ok("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NS },
    });
    await api.ok("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } });
    await api.ok("POST", `/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "config", namespace: NS },
      data: {
        config: `address-pools:\n- name: local\n  protocol: layer2\n  addresses: [10.211.0.240/29]\n  interfaces: [${host}]\n`,
      },
    });
    await api.ok("POST", "/api/v1/namespaces/default/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "default" },
      spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }] },
    });
    const opts = { kubeconfig: cluster.kubeconfigPath, dir: cluster.dir };
    controller = await startSignalbox("controller", "controller", ["--namespace", NS], opts);
    speaker = await startSignalbox(
      "speaker-n1",
      "speaker",
      ["--node", "n1", "--namespace", NS, "--bgp-listen", "off"],
      opts,
    );

    const mac = (await execFileP("cat", [`/sys/class/net/${host}/address`])).stdout.trim();
    await waitFor(
      "ARP for the Service IP answered with the pool interface's MAC",
      async () =>
        (await arping(lab, client, "eth0", "10.211.0.240", { count: 1, timeoutSec: 1 })).macs.join() === mac,
      20_000,
      250,
    );
    assert.notEqual(await macOf(lab, client, "eth0"), mac);

    const lease = () => api.ok<Lease>("GET", `${LEASES}/signalbox-speaker-n1`);
    await waitFor(
      "the node Lease",
      async () => (await lease()).spec.holderIdentity?.startsWith("n1/") ?? false,
      15_000,
    );
    const first = (await lease()).spec.renewTime;
    await waitFor("a renewal", async () => (await lease()).spec.renewTime !== first, 10_000);
    assert.match((await lease()).spec.renewTime ?? "", /\.\d{6}Z$/, "MicroTime on the wire");
    const st = await speaker.status<{
      source: { leases: { renewals: number; informer: { synced: boolean } } };
    }>();
    assert.ok(st.source.leases.renewals >= 2);
    assert.equal(st.source.leases.informer.synced, true);

    await speaker.stop("SIGTERM");
    speaker = undefined;
    const after = await lease();
    assert.ok(!after.spec.holderIdentity, `released: ${JSON.stringify(after.spec)}`);
  } finally {
    await speaker?.stop("SIGKILL").catch(() => {});
    await controller?.stop("SIGKILL").catch(() => {});
    await lab.close();
    await cluster.stop();
  }
});
