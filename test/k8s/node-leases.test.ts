// The layer-2 arbiter's API half on a real kube-apiserver: two speakers' NodeLeases renew
// their own Lease and watch each other's, and LeaseEvidence (src/speaker/l2) turns that into
// "alive" while a peer renews, "expired" when it stops or releases — the evidence that keeps a
// node from answering for a peer that is alive while the API is reachable (no split brain).

import assert from "node:assert/strict";
import { test } from "node:test";
import { V1MicroTime } from "@kubernetes/client-node";
import { loadKubeConfig, NodeLeases } from "../../src/cluster/kubernetes/index.ts";
import { LeaseEvidence, speakerLease, speakerLeaseName } from "../../src/speaker/l2/index.ts";
import { startCluster, waitFor } from "./lib/apiserver.ts";
import { binariesOrSkip, prerequisites } from "./lib/prereq.ts";

const prereqs = await prerequisites();

const NS = "signalbox-system";

test("node Leases: renewals are seen as alive, a stop or a release as expired", {
  timeout: 2 * 60_000,
}, async (t) => {
  const binaries = binariesOrSkip(t, prereqs);
  if (binaries === undefined) return;
  const cluster = await startCluster({ binaries });
  const running: NodeLeases[] = [];
  try {
    await cluster.api.ok("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NS },
    });
    const kubeConfig = loadKubeConfig(cluster.kubeconfigPath);
    const renewing = new Map<string, boolean>([
      ["n1", true],
      ["n2", true],
    ]);
    const evidence = new Map<string, LeaseEvidence>();
    const speaker = (node: string, incarnation: number) => {
      const ev = new LeaseEvidence();
      evidence.set(node, ev);
      const l = new NodeLeases({
        kubeConfig,
        namespace: NS,
        labelSelector: "app.kubernetes.io/component=speaker",
        renewEveryMs: 300,
        renewBody: () => {
          if (!renewing.get(node)) return undefined;
          const b = speakerLease(node, incarnation, NS, new Date());
          return { ...b, spec: { ...b.spec, renewTime: new V1MicroTime(Date.now()) } };
        },
        onLease: (verb, lease, now) => (verb === "delete" ? ev.remove(lease, now) : ev.upsert(lease, now)),
        onSynced: (now) => ev.synced(now),
        onRenewed: (now) => ev.apiReachable(now),
      });
      running.push(l);
      return l;
    };
    const n1 = speaker("n1", 0xabc);
    const n2 = speaker("n2", 0xdef);
    await Promise.all([n1.start(), n2.start()]);
    const seenBy = (who: string, about: string) =>
      evidence.get(who)!.evidence(about, performance.now()).state;

    await waitFor(
      "n1 sees n2 alive and n2 sees n1 alive",
      () => seenBy("n1", "n2") === "alive" && seenBy("n2", "n1") === "alive",
      10_000,
      50,
    );
    const lease = await cluster.api.ok<{ spec: { holderIdentity: string; renewTime: string } }>(
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${speakerLeaseName("n2")}`,
    );
    assert.equal(lease.spec.holderIdentity, "n2/def");
    assert.match(lease.spec.renewTime, /\.\d{6}Z$/, "MicroTime on the wire");

    // n2 stops renewing (its layer 2 is not ready): after the Lease's 6 s it is expired to n1.
    renewing.set("n2", false);
    const t0 = Date.now();
    await waitFor("n1 sees n2 expired", () => seenBy("n1", "n2") === "expired", 15_000, 100);
    const took = Date.now() - t0;
    assert.ok(took >= 5_000, `expired after ${took} ms: not before the lease duration`);
    assert.equal(seenBy("n2", "n1"), "alive", "n1 still renews");

    // n2 renews again: alive again at its next renewal.
    renewing.set("n2", true);
    await waitFor("n1 sees n2 alive again", () => seenBy("n1", "n2") === "alive", 5_000, 50);

    // n1 stops (graceful): it releases its Lease, and n2 knows at once, not 6 s later.
    const t1 = Date.now();
    await n1.stop();
    await waitFor("n2 sees n1 expired after its release", () => seenBy("n2", "n1") === "expired", 3_000, 50);
    assert.ok(Date.now() - t1 < 3_000);
  } finally {
    for (const l of running) await l.stop().catch(() => {});
    await cluster.stop();
  }
});
