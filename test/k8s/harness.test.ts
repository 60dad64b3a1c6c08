// Self-test of the Kubernetes harness, without signalbox: a real etcd + kube-apiserver on
// loopback stores, lists, watches and keeps objects across an API server restart, and is
// completely gone afterwards. If this passes, a failing k8s test points at signalbox.
//
// Under CI=true a missing prerequisite (go, openssl, a failed build) fails the test; elsewhere
// the test is skipped with the reason.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { test } from "node:test";
import {
  type Binaries,
  type Cluster,
  checkOpenssl,
  ensureBinaries,
  isAlive,
  isCI,
  PrerequisiteError,
  startCluster,
} from "./lib/apiserver.ts";

// Builds on first use (~4 min cold on 2 cores), returns at once when cached.
let binaries: Binaries | undefined;
let missing: string | undefined;
try {
  await checkOpenssl();
  binaries = await ensureBinaries();
} catch (e) {
  if (!(e instanceof PrerequisiteError)) throw e;
  missing = e.message;
}

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

async function portClosed(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.setTimeout(2_000, () => {
      s.destroy();
      resolve(false);
    });
    s.on("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.on("error", () => resolve(true));
  });
}

test("harness: objects, status, list, watch and an API server restart on a real kube-apiserver", {
  timeout: 5 * 60_000,
}, async (t) => {
  if (missing !== undefined || binaries === undefined) {
    const why = missing ?? "binaries not found";
    if (isCI()) throw new Error(`CI=true and a prerequisite is missing: ${why}`);
    t.skip(why);
    return;
  }

  const t0 = Date.now();
  const cluster: Cluster = await startCluster({ binaries });
  const startedMs = Date.now() - t0;
  t.diagnostic(`cluster ready in ${startedMs} ms at ${cluster.server}; kubeconfig ${cluster.kubeconfigPath}`);
  const { api } = cluster;
  const pidsBefore = cluster.pids();
  const apiPort = Number(new URL(cluster.server).port);
  const etcdPort = Number(new URL(cluster.etcdUrl).port);
  try {
    // Loopback only, and the version we built.
    assert.equal(new URL(cluster.server).hostname, "127.0.0.1");
    assert.equal(new URL(cluster.etcdUrl).hostname, "127.0.0.1");
    const version = await api.ok<{ gitVersion: string }>("GET", "/version");
    assert.match(version.gitVersion, /^v1\.\d+\.\d+$/);
    t.diagnostic(`kube-apiserver ${version.gitVersion}`);

    // The token works as well as the client certificate.
    const { ApiClient } = await import("./lib/api.ts");
    const byToken = new ApiClient({ server: cluster.server, caFile: cluster.caFile, token: cluster.token });
    const who = await byToken.ok<{ status: { userInfo: { username: string; groups: string[] } } }>(
      "POST",
      "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    );
    assert.equal(who.status.userInfo.username, "test-admin");
    assert.ok(who.status.userInfo.groups.includes("system:masters"));
    byToken.close();

    // An unauthenticated client is refused (anonymous may only read /readyz and friends).
    const anon = new ApiClient({ server: cluster.server, caFile: cluster.caFile });
    assert.equal((await anon.request("GET", "/api/v1/namespaces")).status, 403);
    anon.close();

    const ns = "harness";
    await api.ok("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns },
    });
    await api.ok("POST", `/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "config" },
      data: { config: "address-pools: []\n" },
    });
    const svc = await api.ok<Obj & { spec: { clusterIP: string; ports: { nodePort: number }[] } }>(
      "POST",
      `/api/v1/namespaces/${ns}/services`,
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web" },
        spec: { type: "LoadBalancer", selector: { app: "web" }, ports: [{ port: 80, protocol: "TCP" }] },
      },
    );
    // The apiserver allocates ClusterIP and NodePort itself; no controller-manager needed.
    assert.match(svc.spec.clusterIP, /^10\.96\./);
    assert.ok(svc.spec.ports[0]!.nodePort >= 30000);

    // Watch from the list's resourceVersion, then write the status subresource.
    const list = await api.ok<{ metadata: { resourceVersion: string }; items: Obj[] }>(
      "GET",
      `/api/v1/namespaces/${ns}/services`,
    );
    assert.deepEqual(
      list.items.map((i) => i.metadata["name"]),
      ["web"],
    );
    const watch = await api.watch(
      `/api/v1/namespaces/${ns}/services?watch=1&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=60`,
    );
    const ingress = [{ ip: "192.0.2.10", ipMode: "VIP" }];
    const patched = await api.ok<{ status: { loadBalancer: { ingress: unknown[] } } }>(
      "PATCH",
      `/api/v1/namespaces/${ns}/services/web/status`,
      { status: { loadBalancer: { ingress } } },
      { contentType: "application/merge-patch+json" },
    );
    assert.deepEqual(patched.status.loadBalancer.ingress, ingress);
    const ev = await watch.next((e) => e.type === "MODIFIED", 10_000);
    assert.deepEqual((ev.object["status"] as { loadBalancer: unknown }).loadBalancer, { ingress });
    watch.close();

    // The status is in the list too.
    const list2 = await api.ok<{ items: { status: { loadBalancer: { ingress?: unknown[] } } }[] }>(
      "GET",
      `/api/v1/namespaces/${ns}/services`,
    );
    assert.deepEqual(list2.items[0]!.status.loadBalancer.ingress, ingress);

    // Crash and restart the API server (SIGKILL: a graceful SIGTERM would hold the open watch
    // for its 10 s grace period): the watch ends, and nothing is lost (etcd keeps it).
    const rv = (list2 as unknown as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const acrossRestart = await api.watch(`/api/v1/namespaces/${ns}/services?watch=1&resourceVersion=${rv}`);
    const r0 = Date.now();
    await cluster.restartApiserver({ signal: "SIGKILL" });
    t.diagnostic(`API server restarted in ${Date.now() - r0} ms`);
    await assert.rejects(
      acrossRestart.next(() => false, 10_000),
      /ended/,
    );
    assert.notEqual(cluster.pids().apiserver, pidsBefore.apiserver);
    assert.equal(isAlive(pidsBefore.apiserver), false);
    assert.equal(cluster.pids().etcd, pidsBefore.etcd);
    const after = await api.ok<{ status: { loadBalancer: { ingress: unknown[] } } }>(
      "GET",
      `/api/v1/namespaces/${ns}/services/web`,
    );
    assert.deepEqual(after.status.loadBalancer.ingress, ingress);
    const cm = await api.ok<{ data: Record<string, string> }>(
      "GET",
      `/api/v1/namespaces/${ns}/configmaps/config`,
    );
    assert.deepEqual(cm.data, { config: "address-pools: []\n" });

    // A watch after the restart still sees new writes.
    const w2 = await api.watch(`/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${rv}`);
    await api.ok(
      "PATCH",
      `/api/v1/namespaces/${ns}/configmaps/config`,
      { data: { config: "address-pools: [x]\n" } },
      { contentType: "application/merge-patch+json" },
    );
    await w2.next((e) => e.type === "MODIFIED", 10_000);
    w2.close();

    // A certificate for a user outside system:masters is authenticated but not authorized.
    const speakerCert = await cluster.issueClientCert("speaker-node1", ["signalbox-speakers"]);
    const speaker = new ApiClient({ server: cluster.server, caFile: cluster.caFile, ...speakerCert });
    const denied = await speaker.request("GET", `/api/v1/namespaces/${ns}/services`);
    assert.equal(denied.status, 403);
    assert.match(denied.text, /speaker-node1/);
    speaker.close();
  } finally {
    api.close();
    await cluster.stop();
    await cluster.stop(); // safe twice
  }

  // Nothing is left: processes, ports, files.
  const pidsEnd = cluster.pids();
  for (const pid of [pidsBefore.etcd, pidsBefore.apiserver, pidsEnd.apiserver]) {
    assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
  }
  assert.equal(existsSync(cluster.dir), false, `${cluster.dir} still exists`);
  assert.equal(await portClosed(apiPort), true, "API server port still open");
  assert.equal(await portClosed(etcdPort), true, "etcd port still open");
});
