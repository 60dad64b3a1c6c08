// Speakers on a real API with a real FRR ToR: the controller allocates, two speakers (nodes n1
// and n2) announce, and the ToR's kernel shows the next hops. externalTrafficPolicy Local
// follows the EndpointSlices the test writes; a cordoned node withdraws; each speaker tells on
// the Service whether it announces and why not; an API server crash withdraws nothing.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Lab, missingPrerequisites } from "../netns/lib/index.ts";
import type { ApiClient } from "./lib/api.ts";
import { startCluster, waitFor } from "./lib/apiserver.ts";
import { startBgpLab, torNextHops } from "./lib/bgp-lab.ts";
import { binariesOrSkip, prerequisites } from "./lib/prereq.ts";
import { type Proc, startSignalbox } from "./lib/signalbox.ts";

const prereqs = await prerequisites(missingPrerequisites(["frr"]));

const NS = "signalbox-system";
const APP = "apps";
const NODES = ["n1", "n2"] as const;
const SPEAKER_USER = "speaker-n1";
const SPEAKER_ROLE = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  metadata: { name: "test-speaker" },
  rules: [
    { apiGroups: [""], resources: ["services", "nodes", "configmaps"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  ],
};
const SPEAKER_BINDING = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
  metadata: { name: "test-speaker" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "test-speaker" },
  subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: SPEAKER_USER }],
};

function service(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: APP },
    spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }], selector: { app: name }, ...spec },
  };
}

function slice(svc: string, endpoints: { node: string; ready: boolean }[]) {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${svc}-1`, namespace: APP, labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    ports: [{ port: 80, protocol: "TCP" }],
    endpoints: endpoints.map((e, i) => ({
      addresses: [`10.1.0.${i + 10}`],
      nodeName: e.node,
      conditions: { ready: e.ready },
    })),
  };
}

async function ipOf(api: ApiClient, name: string): Promise<string> {
  let ip = "";
  await waitFor(
    `${name} to get an IP`,
    async () => {
      const s = await api.ok<{ status?: { loadBalancer?: { ingress?: { ip: string }[] } } }>(
        "GET",
        `/api/v1/namespaces/${APP}/services/${name}`,
      );
      ip = s.status?.loadBalancer?.ingress?.[0]?.ip ?? "";
      return ip !== "";
    },
    20_000,
    100,
  );
  return ip;
}

test("speakers on a real API announce to an FRR ToR, follow endpoints and nodes, and ride out an API crash", {
  timeout: 6 * 60_000,
}, async (t) => {
  const binaries = binariesOrSkip(t, prereqs);
  if (binaries === undefined) return;
  const cluster = await startCluster({ binaries });
  const lab = await Lab.create();
  const procs: Proc[] = [];
  try {
    const api = cluster.api;
    const b = await startBgpLab(lab, NODES);
    const hops = (ip: string) => torNextHops(b, `${ip}/32`);
    const expectHops = async (ip: string, want: string[], what: string) =>
      await waitFor(what, async () => (await hops(ip)).join() === want.join(), 20_000, 100);
    const addr = (n: string) => b.nodeAddress(n);

    for (const ns of [NS, APP])
      await api.ok("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
    for (const n of NODES)
      await api.ok("POST", "/api/v1/nodes", {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: n, labels: { "kubernetes.io/hostname": n } },
      });
    const config = `${b.peersYaml()}\naddress-pools:\n- name: web\n  protocol: bgp\n  addresses: [192.0.2.0/28]\n`;
    await api.ok("POST", `/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "config", namespace: NS },
      data: { config },
    });
    const opts = { kubeconfig: cluster.kubeconfigPath, dir: cluster.dir };
    procs.push(await startSignalbox("controller", "controller", ["--namespace", NS], opts));
    // n1's speaker runs as a user with only the speaker's read permissions, so the test can
    // take them away (see "access revoked" below); n2's as the admin.
    await api.ok("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", SPEAKER_ROLE);
    await api.ok("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", SPEAKER_BINDING);
    const cert = await cluster.issueClientCert(SPEAKER_USER);
    const limited = join(cluster.dir, "speaker-n1.kubeconfig");
    writeFileSync(
      limited,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          { name: "test", cluster: { server: cluster.server, "certificate-authority": cluster.caFile } },
        ],
        users: [{ name: "n1", user: { "client-certificate": cert.certFile, "client-key": cert.keyFile } }],
        contexts: [{ name: "n1", context: { cluster: "test", user: "n1" } }],
        "current-context": "n1",
      }),
    );
    const speakers = new Map<string, Proc>();
    for (const n of NODES) {
      const p = await startSignalbox(
        `speaker-${n}`,
        "speaker",
        ["--node", n, "--namespace", NS, "--bgp-listen", "off", "--stop", "notify"],
        n === "n1" ? { ...opts, kubeconfig: limited } : opts,
      );
      procs.push(p);
      speakers.set(n, p);
    }
    for (const n of NODES) await b.tor.waitEstablished(addr(n), 30_000);

    let web = "";
    await t.test("Cluster policy: both nodes announce, the ToR has two next hops", async () => {
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("web"));
      web = await ipOf(api, "web");
      await expectHops(web, [addr("n1"), addr("n2")], "two next hops for web");
      const st = await speakers
        .get("n1")!
        .status<{ peers: { state: string; prefixes: { advertised: { ipv4: number } } }[] }>();
      assert.equal(st.peers[0]?.state, "Established");
      assert.equal(st.peers[0]?.prefixes.advertised.ipv4, 1);
    });

    await t.test(
      "Local policy follows EndpointSlices; one event on the Service says who announces and why not",
      async () => {
        await api.ok(
          "POST",
          `/api/v1/namespaces/${APP}/services`,
          service("local", { externalTrafficPolicy: "Local" }),
        );
        const local = await ipOf(api, "local");
        await api.ok(
          "POST",
          `/apis/discovery.k8s.io/v1/namespaces/${APP}/endpointslices`,
          slice("local", [{ node: "n2", ready: true }]),
        );
        await expectHops(local, [addr("n2")], "only n2 (it has the ready endpoint)");
        const st = await speakers.get("n1")!.status<{ services: { service: string; reason: string }[] }>();
        assert.equal(st.services.find((s) => s.service === `${APP}/local`)?.reason, "noLocalEndpoints");
        await waitFor(
          "one event on the Service naming who announces and why the other does not",
          async () => {
            const ev = await api.ok<{
              items: { reason: string; message: string; involvedObject: { name: string } }[];
            }>("GET", `/api/v1/namespaces/${APP}/events`);
            return ev.items.some(
              (e) =>
                e.involvedObject.name === "local" &&
                e.reason === "Announced" &&
                e.message === `${local} announced over BGP by n2; not by n1 (noLocalEndpoints)`,
            );
          },
          15_000,
        );
        // The endpoint moves to n1.
        await api.ok(
          "PUT",
          `/apis/discovery.k8s.io/v1/namespaces/${APP}/endpointslices/local-1`,
          slice("local", [
            { node: "n1", ready: true },
            { node: "n2", ready: false },
          ]),
        );
        await expectHops(local, [addr("n1")], "the route follows the endpoint to n1");
        // No ready endpoint anywhere: withdrawn.
        await api.ok(
          "PUT",
          `/apis/discovery.k8s.io/v1/namespaces/${APP}/endpointslices/local-1`,
          slice("local", [{ node: "n1", ready: false }]),
        );
        await expectHops(local, [], "withdrawn when no endpoint is ready");
      },
    );

    await t.test("a cordoned node withdraws first", async () => {
      await api.ok(
        "PATCH",
        "/api/v1/nodes/n2",
        { spec: { unschedulable: true } },
        { contentType: "application/merge-patch+json" },
      );
      await expectHops(web, [addr("n1")], "n2 withdraws web when cordoned");
      await api.ok(
        "PATCH",
        "/api/v1/nodes/n2",
        { spec: { unschedulable: false } },
        { contentType: "application/merge-patch+json" },
      );
      await expectHops(web, [addr("n1"), addr("n2")], "n2 announces again when uncordoned");
    });

    await t.test("an API server crash withdraws nothing; the speakers resync", async () => {
      let lost = 0;
      let samples = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          samples++;
          if ((await hops(web)).length !== 2) lost++;
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      await cluster.restartApiserver({ signal: "SIGKILL" });
      await waitFor(
        "speakers watching again",
        async () => {
          for (const p of speakers.values())
            if (!(await p.status<{ source: { connected: boolean } }>()).source.connected) return false;
          return true;
        },
        30_000,
        250,
      );
      sampling = false;
      await sampler;
      // The restarted API server's watch cache starts at the current revision, so a watch
      // resumed from an older resourceVersion gets 410 Gone: the informers must have relisted.
      const informers = (
        await speakers.get("n1")!.status<{ source: { informers: { kind: string; lists: number }[] } }>()
      ).source.informers;
      t.diagnostic(
        `lists per informer after the crash: ${informers.map((i) => `${i.kind}=${i.lists}`).join(" ")}`,
      );
      assert.ok(
        informers.some((i) => i.lists > 1),
        "some informer relisted (410 Gone or a failed resume)",
      );
      assert.equal(lost, 0, `web lost a next hop in ${lost} of ${samples} samples during the API outage`);
      // And the speakers see changes made after the outage.
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("after"));
      const after = await ipOf(api, "after");
      await expectHops(after, [addr("n1"), addr("n2")], "a Service created after the outage is announced");
    });

    await t.test(
      "access revoked across an API restart: the informers back off, then relist and drop what was deleted",
      async () => {
        await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("victim"));
        const victim = await ipOf(api, "victim");
        await expectHops(victim, [addr("n1"), addr("n2")], "victim announced by both");
        await api.ok(
          "DELETE",
          `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${SPEAKER_BINDING.metadata.name}`,
        );
        await cluster.restartApiserver({ signal: "SIGKILL" });
        const n1 = speakers.get("n1")!;
        type Src = { source: { connected: boolean; informers: { lastError?: string; restarts: number }[] } };
        await waitFor(
          "n1's informers refused (403) and retrying",
          async () =>
            (await n1.status<Src>()).source.informers.some((i) => /HTTP 403/.test(i.lastError ?? "")),
          20_000,
          100,
        );
        // Deleted while n1 cannot see: n2 withdraws, n1 keeps its last good view (never withdraw on an outage).
        await api.ok("DELETE", `/api/v1/namespaces/${APP}/services/victim`);
        await expectHops(victim, [addr("n1")], "only n2 withdrew");
        await api.ok("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", SPEAKER_BINDING);
        await waitFor(
          "n1 watching again",
          async () => (await n1.status<Src>()).source.connected,
          40_000,
          250,
        );
        await expectHops(victim, [], "n1 relisted, saw the deletion and withdrew");
      },
    );

    await t.test("a deleted Service is withdrawn", async () => {
      await api.ok("DELETE", `/api/v1/namespaces/${APP}/services/web`);
      await expectHops(web, [], "web withdrawn");
    });
  } finally {
    for (const p of procs) await p.stop("SIGKILL").catch(() => {});
    await lab.close();
    await cluster.stop();
  }
});
