// `signalbox status` against a real API: a controller and two speakers run as processes (their
// one peer is a closed loopback port, so the sessions never come up and the CLI must show it),
// and the CLI finds them either from addresses (--speakers/--controller) or through the API.
// There is no scheduler or kubelet here, so the test creates the Pods discovery looks for —
// labelled as deploy/ labels them, with the container port named `monitoring` — and writes
// status.podIP = 127.0.0.1 through the /status subresource, so discovery lands on the test
// processes. An unreachable speaker is named and exits 1; `status service` explains one Service;
// the peer's password never appears.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import type { ApiClient } from "./lib/api.ts";
import { freePort, startCluster, waitFor } from "./lib/apiserver.ts";
import { binariesOrSkip, prerequisites } from "./lib/prereq.ts";
import { type Proc, SIGNALBOX, startSignalbox } from "./lib/signalbox.ts";

const prereqs = await prerequisites();

const NS = "signalbox-system";
const APP = "apps";
const NODES = ["n1", "n2"] as const;
const PASSWORD = "hunter2-never-shown";
const execFileP = promisify(execFile);

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** `bin/signalbox status …`, bounded; never throws on a non-zero exit. */
async function status(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const r = await execFileP(SIGNALBOX, ["status", ...args], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, KUBECONFIG: "", ...env },
    });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof err.code !== "number") throw e;
    return { status: err.code, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

function service(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: APP },
    spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }], selector: { app: name }, ...spec },
  };
}

/** A Pod as the DaemonSet/Deployment of deploy/ would make it, then "running" on 127.0.0.1. */
async function fakePod(
  api: ApiClient,
  name: string,
  component: "controller" | "speaker",
  node: string,
  port: number,
): Promise<void> {
  await api.ok("POST", `/api/v1/namespaces/${NS}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: NS,
      labels: { "app.kubernetes.io/name": "signalbox", "app.kubernetes.io/component": component },
    },
    spec: {
      nodeName: node,
      containers: [
        {
          name: component,
          image: "signalbox",
          ports: [
            ...(component === "speaker" ? [{ name: "bgp", containerPort: 179, protocol: "TCP" }] : []),
            { name: "monitoring", containerPort: port, protocol: "TCP" },
          ],
        },
      ],
    },
  });
  await api.ok(
    "PATCH",
    `/api/v1/namespaces/${NS}/pods/${name}/status`,
    { status: { phase: "Running", podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }] } },
    { contentType: "application/merge-patch+json" },
  );
}

test("signalbox status: addresses or API discovery, tables, an unreachable speaker, one Service explained", {
  timeout: 4 * 60_000,
}, async (t) => {
  const binaries = binariesOrSkip(t, prereqs);
  if (binaries === undefined) return;
  const cluster = await startCluster({ binaries });
  const procs: Proc[] = [];
  try {
    const api = cluster.api;
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
    // The peer is a loopback port nobody listens on: the sessions stay in Connect/Active.
    const peerPort = await freePort();
    const config = [
      "peers:",
      "- peer-address: 127.0.0.1",
      `  peer-port: ${peerPort}`,
      "  peer-asn: 64501",
      "  my-asn: 64500",
      `  password: ${PASSWORD}`,
      "address-pools:",
      "- name: web",
      "  protocol: bgp",
      "  addresses: [192.0.2.0/28]",
      "",
    ].join("\n");
    await api.ok("POST", `/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "config", namespace: NS },
      data: { config },
    });
    const opts = { kubeconfig: cluster.kubeconfigPath, dir: cluster.dir };
    const controller = await startSignalbox("controller", "controller", ["--namespace", NS], opts);
    procs.push(controller);
    const speakers = new Map<string, Proc>();
    for (const n of NODES) {
      const p = await startSignalbox(
        `speaker-${n}`,
        "speaker",
        ["--node", n, "--namespace", NS, "--bgp-listen", "off", "--stop", "notify"],
        opts,
      );
      procs.push(p);
      speakers.set(n, p);
    }

    await api.ok("POST", `/api/v1/namespaces/${APP}/services`, service("web"));
    await api.ok(
      "POST",
      `/api/v1/namespaces/${APP}/services`,
      service("local", { externalTrafficPolicy: "Local" }),
    );
    await api.ok("POST", `/apis/discovery.k8s.io/v1/namespaces/${APP}/endpointslices`, {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "local-1", namespace: APP, labels: { "kubernetes.io/service-name": "local" } },
      addressType: "IPv4",
      ports: [{ port: 80, protocol: "TCP" }],
      endpoints: [{ addresses: ["10.1.0.10"], nodeName: "n2", conditions: { ready: true } }],
    });
    // An IP outside every pool: the controller's problem, shown by the CLI.
    await api.ok(
      "POST",
      `/api/v1/namespaces/${APP}/services`,
      service("pinned", { loadBalancerIP: "203.0.113.9" }),
    );

    type SpeakerSt = { services: { service: string; ips: string[]; reason: string }[] };
    let webIp = "";
    let localIp = "";
    await waitFor(
      "both speakers to plan web and local",
      async () => {
        const n1 = await speakers.get("n1")!.status<SpeakerSt>();
        const n2 = await speakers.get("n2")!.status<SpeakerSt>();
        const web = n1.services.find((s) => s.service === `${APP}/web`);
        const local1 = n1.services.find((s) => s.service === `${APP}/local`);
        const local2 = n2.services.find((s) => s.service === `${APP}/local`);
        webIp = web?.ips[0] ?? "";
        localIp = local2?.ips[0] ?? "";
        return (
          web?.reason === "announced" &&
          local1?.reason === "noLocalEndpoints" &&
          local2?.reason === "announced" &&
          n2.services.some((s) => s.service === `${APP}/web` && s.reason === "announced")
        );
      },
      30_000,
      200,
    );
    await waitFor(
      "the controller's problem with pinned",
      async () =>
        (await controller.status<{ problems: { service: string }[] }>()).problems.some(
          (p) => p.service === `${APP}/pinned`,
        ),
      15_000,
    );
    const addr = (p: Proc) => `127.0.0.1:${p.statusPort}`;
    const speakerList = NODES.map((n) => addr(speakers.get(n)!)).join(",");
    const outputs: string[] = [];

    await t.test("--speakers/--controller: sessions per node and the Services table", async () => {
      const r = await status(["--speakers", speakerList, "--controller", addr(controller)]);
      outputs.push(r.stdout, r.stderr);
      t.diagnostic(`\n${r.stdout}`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, "");
      for (const n of NODES) {
        assert.match(
          r.stdout,
          new RegExp(`^BGP sessions on ${n} \\(127\\.0\\.0\\.1:\\d+\\): config valid, BGP listener off`, "m"),
        );
      }
      // One row per node: the unreachable peer, its ASNs, a state short of Established.
      const rows = r.stdout.split("\n").filter((l) => l.startsWith(`  127.0.0.1:${peerPort} `));
      assert.equal(rows.length, 2, r.stdout);
      for (const row of rows)
        assert.match(row, /^ {2}127\.0\.0\.1:\d+ +64500 +64501 +(Idle|Connect|Active|OpenSent) /);
      assert.match(r.stdout, new RegExp(`^apps/web +${webIp.replaceAll(".", "\\.")} +web +n1, n2 +-$`, "m"));
      assert.match(
        r.stdout,
        new RegExp(
          `^apps/local +${localIp.replaceAll(".", "\\.")} +web +n2 +n1 \\(noLocalEndpoints\\)$`,
          "m",
        ),
      );
      assert.match(
        r.stdout,
        /^apps\/pinned +- +- +- +n1, n2 \(noIngressIp\); controller: AllocationFailed: .*203\.0\.113\.9/m,
      );
    });

    await t.test("--json: one merged document", async () => {
      const r = await status(["--json", "--speakers", speakerList, "--controller", addr(controller)]);
      outputs.push(r.stdout, r.stderr);
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout) as {
        ok: boolean;
        sessions: { node: string; state: string; md5: boolean }[];
        services: { service: string; ips: string[]; announcing: string[] }[];
      };
      assert.equal(j.ok, true);
      assert.deepEqual(
        j.sessions.map((s) => [s.node, s.md5]),
        [
          ["n1", true],
          ["n2", true],
        ],
      );
      assert.ok(j.sessions.every((s) => s.state !== "Established"));
      const web = j.services.find((s) => s.service === `${APP}/web`);
      assert.deepEqual([web?.ips, web?.announcing], [[webIp], ["n1", "n2"]]);
    });

    await t.test("discovery through the API: the signalbox Pods of the namespace", async () => {
      await fakePod(api, "signalbox-controller-0", "controller", "n1", controller.statusPort);
      for (const n of NODES)
        await fakePod(api, `signalbox-speaker-${n}`, "speaker", n, speakers.get(n)!.statusPort);
      // A Pod of another app in the namespace is not asked.
      await api.ok("POST", `/api/v1/namespaces/${NS}/pods`, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "unrelated", namespace: NS, labels: { app: "other" } },
        spec: { nodeName: "n1", containers: [{ name: "x", image: "x" }] },
      });
      // $KUBECONFIG, as kubectl users have it.
      const r = await status([], { KUBECONFIG: cluster.kubeconfigPath });
      outputs.push(r.stdout, r.stderr);
      t.diagnostic(`\n${r.stdout}`);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Controller \S+ \(pod signalbox-controller-0, 127\.0\.0\.1:\d+\): single/m);
      for (const n of NODES)
        assert.match(
          r.stdout,
          new RegExp(
            `^BGP sessions on ${n} \\(pod signalbox-speaker-${n}, 127\\.0\\.0\\.1:${speakers.get(n)!.statusPort}\\)`,
            "m",
          ),
        );
      assert.match(
        r.stdout,
        new RegExp(
          `^apps/local +${localIp.replaceAll(".", "\\.")} +web +n2 +n1 \\(noLocalEndpoints\\)$`,
          "m",
        ),
      );
    });

    await t.test("an unreachable speaker is named, the others still shown, exit 1", async () => {
      const dead = await freePort();
      await fakePod(api, "signalbox-speaker-n3", "speaker", "n3", dead);
      const r = await status(["--kubeconfig", cluster.kubeconfigPath, "--namespace", NS]);
      outputs.push(r.stdout, r.stderr);
      assert.equal(r.status, 1, r.stdout);
      assert.equal(
        r.stderr,
        `signalbox status: cannot reach speaker n3 (pod signalbox-speaker-n3, 127.0.0.1:${dead}): connection refused\n`,
      );
      assert.match(r.stdout, /^BGP sessions on n1 /m);
      assert.match(r.stdout, /^BGP sessions on n2 /m);
      assert.match(
        r.stdout,
        /^BGP sessions on n3 \(pod signalbox-speaker-n3, 127\.0\.0\.1:\d+\): UNREACHABLE: connection refused$/m,
      );
      assert.match(r.stdout, /^apps\/web +\S+ +web +n1, n2 +-$/m);
      // The same with addresses: the dead one is named by its address.
      const s = await status([
        "--speakers",
        `${speakerList},127.0.0.1:${dead}`,
        "--controller",
        addr(controller),
      ]);
      outputs.push(s.stdout, s.stderr);
      assert.equal(s.status, 1);
      assert.equal(
        s.stderr,
        `signalbox status: cannot reach speaker 127.0.0.1:${dead}: connection refused\n`,
      );
      assert.match(s.stdout, /^apps\/web /m);
      await api.ok("DELETE", `/api/v1/namespaces/${NS}/pods/signalbox-speaker-n3?gracePeriodSeconds=0`);
    });

    await t.test("status service NS/NAME explains one Service in words", async () => {
      const r = await status(["service", `${APP}/local`, "--kubeconfig", cluster.kubeconfigPath]);
      outputs.push(r.stdout, r.stderr);
      t.diagnostic(`\n${r.stdout}`);
      assert.equal(r.status, 0, r.stderr);
      // The rack-balance line depends on the speakers' analysis (issue #8): not checked here.
      assert.equal(
        r.stdout.replace(/^ {2}Balance: .*\n/m, ""),
        [
          `Service ${APP}/local`,
          `  IPs:   ${localIp}`,
          "  Pool:  web",
          `  Controller: allocated ${localIp} from pool web`,
          "  Nodes:",
          `    n1: does not announce ${localIp}: externalTrafficPolicy is Local and no ready endpoint runs on this node (noLocalEndpoints)`,
          `    n2: announces ${localIp} over BGP, but its only BGP session is not Established: no router has the route`,
          "",
        ].join("\n"),
      );
      const p = await status([
        "service",
        `${APP}/pinned`,
        "--speakers",
        speakerList,
        "--controller",
        addr(controller),
      ]);
      outputs.push(p.stdout, p.stderr);
      assert.equal(p.status, 0, p.stderr);
      assert.match(p.stdout, /Controller: AllocationFailed: .*203\.0\.113\.9/);
      assert.match(
        p.stdout,
        /n1: no IP allocated yet \(status\.loadBalancer\.ingress is empty\) \(noIngressIp\)/,
      );
      const u = await status(["service", `${APP}/nope`, "--kubeconfig", cluster.kubeconfigPath]);
      assert.equal(u.status, 1);
      assert.match(u.stdout, /not known to the controller nor to any speaker/);
    });

    await t.test("the peer's password appears nowhere", () => {
      assert.ok(outputs.length > 10);
      for (const o of outputs) assert.ok(!o.includes(PASSWORD), "password in the CLI output");
    });
  } finally {
    for (const p of procs) await p.stop("SIGKILL").catch(() => {});
    await cluster.stop();
  }
});
