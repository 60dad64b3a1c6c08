// The controller against a real kube-apiserver: Services get IPs in their status (with the pool
// annotation and an event), two replicas elect one leader through a Lease, a leader change and a
// restart move no IP, an invalid ConfigMap changes nothing and says why (event, status, metric),
// a type change releases, another loadBalancerClass is left alone, and an API server crash
// loses nothing.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ApiClient } from "./lib/api.ts";
import { type Cluster, startCluster, waitFor } from "./lib/apiserver.ts";
import { binariesOrSkip, prerequisites } from "./lib/prereq.ts";
import { type Proc, startSignalbox } from "./lib/signalbox.ts";

const prereqs = await prerequisites();

const NS = "signalbox-system";
const APP = "apps";

function configMap(config: string) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "config", namespace: NS },
    data: { config },
  };
}

const GOOD = `
address-pools:
- name: blue
  protocol: bgp
  addresses: [192.0.2.0/29]
- name: green
  protocol: layer2
  auto-assign: false
  addresses: [192.0.2.64-192.0.2.70]
`;

function service(
  name: string,
  extra: Record<string, unknown> = {},
  annotations: Record<string, string> = {},
) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: APP, annotations },
    spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }], selector: { app: name }, ...extra },
  };
}

type Svc = {
  metadata: { annotations?: Record<string, string>; resourceVersion: string };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
};

async function ips(api: ApiClient, name: string): Promise<string[]> {
  const s = await api.ok<Svc>("GET", `/api/v1/namespaces/${APP}/services/${name}`);
  return (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "?");
}

async function allIps(api: ApiClient): Promise<Record<string, string[]>> {
  const l = await api.ok<{ items: (Svc & { metadata: { name: string } })[] }>(
    "GET",
    `/api/v1/namespaces/${APP}/services`,
  );
  return Object.fromEntries(
    l.items.map((s) => [s.metadata.name, (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "?")]),
  );
}

async function events(
  api: ApiClient,
  ns: string,
  name: string,
): Promise<{ reason: string; message: string }[]> {
  const l = await api.ok<{ items: { reason: string; message: string; involvedObject: { name: string } }[] }>(
    "GET",
    `/api/v1/namespaces/${ns}/events`,
  );
  return l.items.filter((e) => e.involvedObject.name === name);
}

async function waitIps(api: ApiClient, name: string, timeoutMs = 20_000): Promise<string[]> {
  let got: string[] = [];
  await waitFor(
    `${name} to get an IP`,
    async () => {
      got = await ips(api, name);
      return got.length > 0;
    },
    timeoutMs,
    100,
  );
  return got;
}

test("controller on a real API: allocate, elect, fail over, restart, reject bad config, release, survive an API crash", {
  timeout: 6 * 60_000,
}, async (t) => {
  const binaries = binariesOrSkip(t, prereqs);
  if (binaries === undefined) return;
  const cluster: Cluster = await startCluster({ binaries });
  const procs: Proc[] = [];
  const controller = async (id: string) => {
    const p = await startSignalbox(
      id,
      "controller",
      ["--namespace", NS, "--leader-elect", "--identity", id, "--log-level", "debug"],
      { kubeconfig: cluster.kubeconfigPath, dir: cluster.dir },
    );
    procs.push(p);
    return p;
  };
  try {
    const api = cluster.api;
    for (const ns of [NS, APP])
      await api.ok("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
    await api.ok("POST", `/api/v1/namespaces/${NS}/configmaps`, configMap(GOOD));

    const c1 = await controller("c1");
    await waitFor("c1 to lead", async () => (await c1.status<{ leader: boolean }>()).leader, 20_000);
    const c2 = await controller("c2");
    await waitFor(
      "c2 synced",
      async () => (await c2.status<{ api: { synced: boolean } }>()).api.synced,
      20_000,
    );
    assert.equal((await c2.status<{ leader: boolean }>()).leader, false, "only one leader");

    await t.test("Services get IPs, the pool annotation and an event", async () => {
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("a"));
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("b"));
      assert.deepEqual(await waitIps(api, "a"), ["192.0.2.0"]);
      assert.deepEqual(await waitIps(api, "b"), ["192.0.2.1"]);
      const a = await api.ok<Svc>("GET", `/api/v1/namespaces/${APP}/services/a`);
      assert.equal(a.metadata.annotations?.["signalbox.io/ip-allocated-from-pool"], "blue");
      await waitFor(
        "IPAllocated event on a",
        async () =>
          (await events(api, APP, "a")).some(
            (e) => e.reason === "IPAllocated" && e.message.includes("192.0.2.0 from pool blue"),
          ),
        10_000,
      );
      // A requested pool (auto-assign off) and a specific IP.
      await api.ok(
        "POST",
        `/api/v1/namespaces/${APP}/services`,
        service("g", {}, { "metallb.universe.tf/address-pool": "green" }),
      );
      assert.deepEqual(await waitIps(api, "g"), ["192.0.2.64"]);
      await api.ok(
        "POST",
        `/api/v1/namespaces/${APP}/services`,
        service("pinned", {}, { "metallb.universe.tf/loadBalancerIPs": "192.0.2.5" }),
      );
      assert.deepEqual(await waitIps(api, "pinned"), ["192.0.2.5"]);
      const st = await c1.status<{ pools: { name: string; ipv4: { size: number; used: number } }[] }>();
      const blue = st.pools.find((p) => p.name === "blue");
      assert.deepEqual(blue?.ipv4, { size: 8, used: 3, free: 5 });
    });

    await t.test("a failure is told on the Service and the controller keeps going", async () => {
      await api.ok(
        "POST",
        `/api/v1/namespaces/${APP}/services`,
        service("nopool", {}, { "metallb.universe.tf/address-pool": "red" }),
      );
      await waitFor(
        "AllocationFailed event",
        async () =>
          (await events(api, APP, "nopool")).some(
            (e) => e.reason === "AllocationFailed" && e.message.includes("pool red is not configured"),
          ),
        10_000,
      );
      assert.deepEqual(await ips(api, "nopool"), []);
      const st = await c1.status<{ problems: { service: string }[] }>();
      assert.ok(st.problems.some((p) => p.service === `${APP}/nopool`));
      assert.match(await c1.metrics(), /signalbox_services_failing\{reason="AllocationFailed"\} 1/);
    });

    await t.test("another loadBalancerClass is left alone", async () => {
      await api.ok(
        "POST",
        `/api/v1/namespaces/${APP}/services`,
        service("other", { loadBalancerClass: "example.com/other" }),
      );
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("after-other"));
      await waitIps(api, "after-other");
      assert.deepEqual(await ips(api, "other"), []);
    });

    const before = await allIps(api);

    await t.test("leader killed: the standby takes over and no IP moves", async () => {
      await c1.stop("SIGKILL");
      // The Lease (15 s) must expire before c2 may lead: client-go's rule, no split brain.
      await waitFor("c2 to lead", async () => (await c2.status<{ leader: boolean }>()).leader, 30_000, 250);
      assert.deepEqual(await allIps(api), before);
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("c"));
      assert.deepEqual(
        await waitIps(api, "c"),
        ["192.0.2.3"],
        "lowest free address after a, b, after-other, pinned",
      );
    });

    await t.test("graceful stop releases the Lease: a restarted replica leads at once", async () => {
      const c3 = await controller("c3");
      await waitFor(
        "c3 synced",
        async () => (await c3.status<{ api: { synced: boolean } }>()).api.synced,
        20_000,
      );
      const t0 = Date.now();
      await c2.stop("SIGTERM");
      await waitFor("c3 to lead", async () => (await c3.status<{ leader: boolean }>()).leader, 10_000, 100);
      const took = Date.now() - t0;
      assert.ok(took < 8_000, `took over in ${took} ms (a released Lease needs no expiry)`);
      const now = await allIps(api);
      for (const [k, v] of Object.entries(before)) assert.deepEqual(now[k], v, `${k} kept its IP`);
    });

    await t.test("an invalid ConfigMap changes nothing and says why", async () => {
      const leader = procs.at(-1)!;
      const bad = `${GOOD}\n- name: broken\n  protocol: bgp\n  addresses: [192.0.2.300/32]\n`;
      await api.ok("PUT", `/api/v1/namespaces/${NS}/configmaps/config`, configMap(bad));
      await waitFor(
        "ConfigInvalid event on the ConfigMap",
        async () => (await events(api, NS, "config")).some((e) => e.reason === "ConfigInvalid"),
        10_000,
      );
      const ev = (await events(api, NS, "config")).find((e) => e.reason === "ConfigInvalid")!;
      assert.match(ev.message, /address-pools\[2\]\.addresses\[0\]/);
      assert.match(ev.message, /last good config runs on/);
      const st = await leader.status<{ config: { state: string; errors: string[]; running: string } }>();
      assert.equal(st.config.state, "invalid");
      assert.equal(st.config.running, "last-good");
      assert.match(await leader.metrics(), /signalbox_config_stale 1/);
      // The last good config still allocates.
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("during-bad"));
      assert.deepEqual(await waitIps(api, "during-bad"), ["192.0.2.4"]);
      await api.ok("PUT", `/api/v1/namespaces/${NS}/configmaps/config`, configMap(GOOD));
      await waitFor(
        "config valid again",
        async () => (await leader.status<{ config: { state: string } }>()).config.state === "valid",
        10_000,
      );
    });

    await t.test("type change releases, delete frees the IP for the next Service", async () => {
      const svc = await api.ok<Record<string, unknown>>("GET", `/api/v1/namespaces/${APP}/services/b`);
      await api.ok(
        "PATCH",
        `/api/v1/namespaces/${APP}/services/b`,
        { spec: { type: "ClusterIP" } },
        { contentType: "application/merge-patch+json" },
      );
      assert.ok(svc);
      await waitFor("b released", async () => (await ips(api, "b")).length === 0, 10_000);
      await api.ok("DELETE", `/api/v1/namespaces/${APP}/services/a`);
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("d"));
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("e"));
      const got = [...(await waitIps(api, "d")), ...(await waitIps(api, "e"))].sort();
      assert.deepEqual(got, ["192.0.2.0", "192.0.2.1"]);
    });

    await t.test("API server crash: nothing lost, the controller resyncs", async () => {
      const leader = procs.at(-1)!;
      const snapshot = await allIps(api);
      await cluster.restartApiserver({ signal: "SIGKILL" });
      // While the API was away, the informers failed and retried; now they watch again.
      await waitFor(
        "informers watching again",
        async () => (await leader.status<{ api: { connected: boolean } }>()).api.connected,
        30_000,
        250,
      );
      assert.deepEqual(await allIps(api), snapshot);
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("after-crash"));
      assert.deepEqual(await waitIps(api, "after-crash"), ["192.0.2.6"], "after .0-.5 are held");
      const st = await leader.status<{ api: { informers: { restarts: number }[] } }>();
      assert.ok(
        st.api.informers.some((i) => i.restarts > 0),
        "informers restarted after the crash",
      );
    });

    await t.test("a restart of the whole controller moves no IP", async () => {
      const snapshot = await allIps(api);
      for (const p of procs) await p.stop();
      const c4 = await controller("c4");
      await waitFor("c4 to lead", async () => (await c4.status<{ leader: boolean }>()).leader, 30_000, 250);
      await waitFor("c4 pass", async () => (await c4.status<{ passes: number }>()).passes > 0, 10_000);
      assert.deepEqual(await allIps(api), snapshot);
      assert.doesNotMatch(c4.log(), /"password"/);
    });
  } finally {
    for (const p of procs) await p.stop("SIGKILL").catch(() => {});
    await cluster.stop();
  }
});
