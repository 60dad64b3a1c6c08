/**
 * `npm run bench:k8s` (root; needs the test API server build and FRR): creates N Services of
 * type LoadBalancer at once against a real kube-apiserver, with the controller and two
 * speakers (nodes n1, n2) peering with an FRR ToR in a network namespace (test/k8s/lib), and
 * prints the time until every Service has an IP, until every route is in the ToR's kernel,
 * and the p50/p99/max of Service created → route in the ToR's kernel. Target (issue 5): p99
 * under 1 s at N = 1000.
 *
 * "Created" is when the test sends the POST; "in the ToR" is when `ip monitor route` in the
 * ToR namespace prints the route (zebra has programmed the kernel, so traffic would flow).
 *
 * Options: --services 1000  --concurrency 32  --repeat 1
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { ApiClient } from "../test/k8s/lib/api.ts";
import { ensureBinaries, startCluster, waitFor } from "../test/k8s/lib/apiserver.ts";
import { startBgpLab } from "../test/k8s/lib/bgp-lab.ts";
import { type Proc, startSignalbox } from "../test/k8s/lib/signalbox.ts";
import { Lab } from "../test/netns/lib/index.ts";

const { values } = parseArgs({
  options: {
    services: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "32" },
  },
});
const N = Number(values.services);
const CONCURRENCY = Number(values.concurrency);
const NS = "signalbox-system";
const APP = "bench";
const POOL = "198.18.0.0/20"; // RFC 2544 benchmarking range: data only, no traffic is sent to it

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;

const binaries = await ensureBinaries();
const cluster = await startCluster({ binaries });
const lab = await Lab.create();
const procs: Proc[] = [];
let monitor: ReturnType<typeof spawn> | undefined;
try {
  const api = new ApiClient({
    server: cluster.server,
    caFile: cluster.caFile,
    certFile: cluster.admin.certFile,
    keyFile: cluster.admin.keyFile,
    keepAlive: true,
  });
  const b = await startBgpLab(lab, ["n1", "n2"]);
  for (const ns of [NS, APP])
    await api.ok("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns },
    });
  for (const n of ["n1", "n2"])
    await api.ok("POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: n, labels: { "kubernetes.io/hostname": n } },
    });
  await api.ok("POST", `/api/v1/namespaces/${NS}/configmaps`, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "config", namespace: NS },
    data: {
      config: `${b.peersYaml()}\naddress-pools:\n- name: bench\n  protocol: bgp\n  addresses: [${POOL}]\n`,
    },
  });
  const opts = { kubeconfig: cluster.kubeconfigPath, dir: cluster.dir };
  procs.push(
    await startSignalbox("controller", "controller", ["--namespace", NS, "--log-level", "warn"], opts),
  );
  for (const n of ["n1", "n2"])
    procs.push(
      await startSignalbox(
        `speaker-${n}`,
        "speaker",
        ["--node", n, "--namespace", NS, "--bgp-listen", "off", "--log-level", "warn"],
        opts,
      ),
    );
  for (const n of ["n1", "n2"]) await b.tor.waitEstablished(b.nodeAddress(n), 30_000);

  // Reference, same run: the API server alone creating N LoadBalancer Services of a class
  // signalbox ignores (it still allocates their ClusterIPs and NodePorts).
  await api.ok("POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "ref" },
  });
  const tr0 = performance.now();
  let nextRef = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (nextRef < N) {
        const i = nextRef++;
        await api.ok("POST", "/api/v1/namespaces/ref/services", {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: `ref-${i}`, namespace: "ref" },
          spec: {
            type: "LoadBalancer",
            loadBalancerClass: "example.com/none",
            ports: [{ port: 80, protocol: "TCP" }],
          },
        });
      }
    }),
  );
  const refMs = performance.now() - tr0;

  // Route arrivals in the ToR's kernel, by prefix, first sighting.
  const routeAt = new Map<string, number>();
  monitor = spawn("ip", ["netns", "exec", b.torNs, "ip", "-4", "monitor", "route"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  createInterface({ input: monitor.stdout! }).on("line", (line) => {
    const m = /^(198\.18\.\d+\.\d+)(?:\/32)? /.exec(line);
    if (m && !routeAt.has(m[1]!)) routeAt.set(m[1]!, performance.now());
  });
  await new Promise((r) => setTimeout(r, 300)); // the monitor is listening

  const createdAt = new Map<string, number>();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const name = `svc-${i}`;
      createdAt.set(name, performance.now());
      await api.ok("POST", `/api/v1/namespaces/${APP}/services`, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: APP },
        spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }] },
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const tCreated = performance.now();

  const ipOf = new Map<string, string>();
  let tAllIps = 0;
  await waitFor(
    "every Service to have an IP",
    async () => {
      const l = await api.ok<{
        items: { metadata: { name: string }; status?: { loadBalancer?: { ingress?: { ip: string }[] } } }[];
      }>("GET", `/api/v1/namespaces/${APP}/services`, undefined, { timeoutMs: 30_000 });
      for (const s of l.items) {
        const ip = s.status?.loadBalancer?.ingress?.[0]?.ip;
        if (ip) ipOf.set(s.metadata.name, ip);
      }
      if (ipOf.size < N) return false;
      tAllIps = performance.now();
      return true;
    },
    120_000,
    50,
  );
  let tAllRoutes = 0;
  await waitFor(
    "every route in the ToR's kernel",
    () => {
      for (const ip of ipOf.values()) if (!routeAt.has(ip)) return false;
      tAllRoutes = Math.max(...[...ipOf.values()].map((ip) => routeAt.get(ip)!));
      return true;
    },
    120_000,
    50,
  );
  const latencies = [...ipOf.entries()].map(([name, ip]) => routeAt.get(ip)! - createdAt.get(name)!);
  const p99 = pct(latencies, 99);
  console.log(
    `signalbox bench:k8s — ${N} Services created at once (${CONCURRENCY} POSTs in flight), 2 speakers, FRR ToR`,
  );
  console.log(
    `  reference: the API server alone  ${ms(refMs)} for ${N} creates (another class: no signalbox work)`,
  );
  console.log(`  all POSTs answered              ${ms(tCreated - t0)}`);
  console.log(`  all Services have an IP         ${ms(tAllIps - t0)}  (approximate: polled every 50 ms)`);
  console.log(`  all routes in the ToR's kernel  ${ms(tAllRoutes - t0)}`);
  console.log(
    `  created → route at ToR          p50 ${ms(pct(latencies, 50))}  p99 ${ms(p99)}  max ${ms(Math.max(...latencies))}`,
  );
  console.log(
    `  target p99 < 1000 ms: ${p99 < 1000 ? "met" : "NOT met"} (p99 / target = ${(p99 / 1000).toFixed(2)})`,
  );
} finally {
  monitor?.kill("SIGKILL");
  for (const p of procs) await p.stop().catch(() => {});
  await lab.close();
  await cluster.stop();
}
