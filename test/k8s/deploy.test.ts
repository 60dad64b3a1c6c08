// deploy/ against a real kube-apiserver: `kubectl apply -k deploy/` passes a server-side dry run
// and applies; each ServiceAccount can do exactly what its program needs (kubectl auth can-i,
// plus real requests where RBAC matching is subtle) and nothing sensitive; the rendered
// manifests keep the properties deploy/README.md promises.
//
// kubectl is built by test/k8s/build.sh from the same module graph as kube-apiserver. Under
// CI=true a missing prerequisite fails the test; elsewhere the test is skipped with the reason.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../../src/config/index.ts";
import { type Cluster, startCluster } from "./lib/apiserver.ts";
import { binariesOrSkip, prerequisites } from "./lib/prereq.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DEPLOY = join(ROOT, "deploy");
const NS = "signalbox-system";
const IMAGE = "signalbox:0.1.0";
const SA = {
  controller: `system:serviceaccount:${NS}:signalbox-controller`,
  speaker: `system:serviceaccount:${NS}:signalbox-speaker`,
} as const;

const prereqs = await prerequisites();

// kubectl's HOME: its discovery cache (~/.kube/cache) goes here, not into the repository or
// the user's home.
const HOME = mkdtempSync(join(tmpdir(), "signalbox-kubectl-home-"));
after(() => rmSync(HOME, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kubectl (bounded: 60 s, then SIGKILL), with stdin `input` when given. */
async function kubectl(kubeconfig: string | undefined, args: string[], input?: string): Promise<Run> {
  const bin = prereqs.binaries?.kubectl;
  if (bin === undefined) throw new Error("kubectl not built");
  const full =
    kubeconfig === undefined ? args : ["--kubeconfig", kubeconfig, "--request-timeout=20s", ...args];
  const child = spawn(bin, full, {
    stdio: ["pipe", "pipe", "pipe"],
    cwd: ROOT,
    env: { PATH: process.env["PATH"], HOME },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  child.stdin.end(input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(-1));
    child.on("close", (c) => resolve(c));
  });
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function must(r: Run, what: string): string {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
};
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Container = {
  image: string;
  command: string[];
  env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  ports?: { name: string; containerPort: number }[];
};
type PodSpec = {
  serviceAccountName: string;
  hostNetwork?: boolean;
  securityContext?: Record<string, unknown>;
  tolerations?: { key: string; effect: string }[];
  containers: Container[];
};
type Workload = Obj & { spec: { replicas?: number; template: { metadata: Obj["metadata"]; spec: PodSpec } } };

function find<T extends Obj>(objs: Obj[], kind: string, name: string): T {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} not in the rendered manifests`);
  return o as T;
}

test("deploy: kubectl kustomize renders the promised objects, stably", { timeout: 2 * 60_000 }, async (t) => {
  const binaries = binariesOrSkip(t, prereqs);
  if (binaries === undefined) return;
  const first = must(await kubectl(undefined, ["kustomize", DEPLOY]), "kubectl kustomize deploy/");
  const second = must(await kubectl(undefined, ["kustomize", DEPLOY]), "kubectl kustomize deploy/ again");
  assert.equal(second, first, "kustomize output is not deterministic");
  const objs = parseAllDocuments(first).map((d) => d.toJS() as Obj);

  // Exactly these objects; every namespaced one in signalbox-system; all labelled part-of.
  const names = objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`).sort();
  assert.deepEqual(names, [
    "ClusterRole//signalbox-controller",
    "ClusterRole//signalbox-speaker",
    "ClusterRoleBinding//signalbox-controller",
    "ClusterRoleBinding//signalbox-speaker",
    `ConfigMap/${NS}/config`,
    `DaemonSet/${NS}/signalbox-speaker`,
    `Deployment/${NS}/signalbox-controller`,
    `Namespace//${NS}`,
    `Role/${NS}/signalbox-controller`,
    `Role/${NS}/signalbox-speaker`,
    `RoleBinding/${NS}/signalbox-controller`,
    `RoleBinding/${NS}/signalbox-speaker`,
    `ServiceAccount/${NS}/signalbox-controller`,
    `ServiceAccount/${NS}/signalbox-speaker`,
  ]);
  for (const o of objs) assert.equal(o.metadata.labels?.["app.kubernetes.io/part-of"], "signalbox", o.kind);

  // RBAC: no wildcard anywhere, no Secrets, no Pods; bindings point at our ServiceAccounts.
  for (const o of objs.filter((x) => x.kind === "ClusterRole" || x.kind === "Role")) {
    for (const r of o["rules"] as Rule[]) {
      const all = [...r.apiGroups, ...r.resources, ...r.verbs];
      assert.ok(!all.includes("*"), `${o.kind}/${o.metadata.name}: wildcard in ${JSON.stringify(r)}`);
      assert.ok(!r.resources.some((x) => /^(secrets|pods)/.test(x)), `${o.metadata.name}: ${r.resources}`);
      assert.ok(
        !r.verbs.some((v) => ["delete", "deletecollection", "escalate", "bind", "impersonate"].includes(v)),
      );
    }
  }
  for (const role of ["controller", "speaker"] as const) {
    for (const kind of ["ClusterRoleBinding", "RoleBinding"]) {
      const b = find(objs, kind, `signalbox-${role}`) as Obj & {
        subjects: { kind: string; name: string; namespace: string }[];
      };
      assert.deepEqual(b.subjects, [{ kind: "ServiceAccount", name: `signalbox-${role}`, namespace: NS }]);
    }
  }

  const fieldRefs = (c: Container): Record<string, string | undefined> =>
    Object.fromEntries((c.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));

  // Controller: 2 replicas, the image kustomize set, non-root, nothing added.
  const dep = find<Workload>(objs, "Deployment", "signalbox-controller");
  assert.equal(dep.spec.replicas, 2);
  const cpod = dep.spec.template.spec;
  assert.equal(cpod.serviceAccountName, "signalbox-controller");
  assert.notEqual(cpod.hostNetwork, true);
  const [ctl] = cpod.containers;
  assert.ok(ctl && cpod.containers.length === 1);
  assert.equal(ctl.image, IMAGE);
  assert.deepEqual(ctl.command, [
    "node",
    "dist/src/cli/main.js",
    "controller",
    "--namespace",
    "$(POD_NAMESPACE)",
    "--configmap",
    "config",
    "--status-address",
    "0.0.0.0:7472",
    "--leader-elect",
  ]);
  assert.deepEqual(fieldRefs(ctl), { POD_NAME: "metadata.name", POD_NAMESPACE: "metadata.namespace" });
  assert.equal(cpod.securityContext?.["runAsNonRoot"], true);
  assert.equal(cpod.securityContext?.["runAsUser"], 65532);
  assert.deepEqual(ctl.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
  });
  assert.deepEqual(
    ctl.ports?.map((p) => p.containerPort),
    [7472],
  );
  assert.equal(ctl.livenessProbe?.httpGet?.path, "/healthz");
  assert.equal(ctl.readinessProbe?.httpGet?.path, "/readyz");

  // Speaker: host network, uid 0 with only NET_RAW and NET_BIND_SERVICE, not privileged.
  const ds = find<Workload>(objs, "DaemonSet", "signalbox-speaker");
  const spod = ds.spec.template.spec;
  assert.equal(spod.serviceAccountName, "signalbox-speaker");
  assert.equal(spod.hostNetwork, true);
  const [spk] = spod.containers;
  assert.ok(spk && spod.containers.length === 1);
  assert.equal(spk.image, IMAGE);
  assert.deepEqual(spk.command, [
    "node",
    "--max-semi-space-size=4",
    "dist/src/cli/main.js",
    "speaker",
    "--node",
    "$(NODE_NAME)",
    "--namespace",
    "$(POD_NAMESPACE)",
    "--configmap",
    "config",
    "--status-address",
    "0.0.0.0:7473",
    "--bgp-listen",
    "[::]:179",
  ]);
  assert.deepEqual(fieldRefs(spk), {
    NODE_NAME: "spec.nodeName",
    POD_NAME: "metadata.name",
    POD_NAMESPACE: "metadata.namespace",
  });
  assert.deepEqual(spk.securityContext, {
    runAsUser: 0,
    runAsNonRoot: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ["ALL"], add: ["NET_RAW", "NET_BIND_SERVICE"] },
  });
  assert.deepEqual(spk.ports?.map((p) => p.containerPort).sort(), [179, 7473]);
  assert.equal(spk.livenessProbe?.httpGet?.path, "/healthz");
  assert.equal(spk.readinessProbe?.httpGet?.path, "/readyz");
  assert.deepEqual(spod.tolerations?.map((x) => `${x.key}:${x.effect}`).sort(), [
    "node-role.kubernetes.io/control-plane:NoSchedule",
    "node-role.kubernetes.io/master:NoSchedule",
  ]);

  // The example ConfigMap is valid for signalbox's own parser: one BGP peer, a BGP and a
  // layer-2 pool.
  const cm = find(objs, "ConfigMap", "config") as Obj & { data: Record<string, string> };
  assert.deepEqual(Object.keys(cm.data), ["config"]);
  const parsed = parseConfig(cm.data["config"] ?? "");
  assert.ok(parsed.ok, `example config invalid: ${JSON.stringify(parsed)}`);
  assert.equal(parsed.config.peers.length, 1);
  assert.deepEqual(parsed.config.addressPools.map((p) => p.protocol).sort(), ["bgp", "layer2"]);
  assert.deepEqual(parsed.warnings, []);
});

interface Check {
  verb: string;
  resource: string;
  /** namespace; "*" = all namespaces; undefined = cluster-scoped */
  ns?: string;
  sub?: string;
}

const c = (verb: string, resource: string, ns?: string, sub?: string): Check =>
  ns === undefined
    ? { verb, resource, ...(sub ? { sub } : {}) }
    : { verb, resource, ns, ...(sub ? { sub } : {}) };
const EVT = "events.events.k8s.io";
const SLICES = "endpointslices.discovery.k8s.io";
const LEASES = "leases.coordination.k8s.io";

// What each program needs (the brief in deploy/README.md; one line per code path).
const NEEDS: Record<keyof typeof SA, Check[]> = {
  controller: [
    c("get", "services", "default"),
    c("list", "services", "*"),
    c("watch", "services", "*"),
    c("patch", "services", "default"),
    c("update", "services", "default", "status"),
    c("patch", "services", "default", "status"),
    c("list", "nodes"),
    c("watch", "nodes"),
    c("list", SLICES, "*"),
    c("watch", SLICES, "*"),
    c("create", "events", "default"),
    c("patch", "events", "default"),
    c("create", EVT, "default"),
    c("patch", EVT, "default"),
    c("get", "configmaps/config", NS),
    c("list", "configmaps/config", NS),
    c("watch", "configmaps/config", NS),
    c("create", LEASES, NS),
    c("get", `${LEASES}/signalbox-controller`, NS),
    c("update", `${LEASES}/signalbox-controller`, NS),
  ],
  speaker: [
    c("list", "services", "*"),
    c("watch", "services", "*"),
    c("list", SLICES, "*"),
    c("watch", SLICES, "*"),
    c("list", "nodes"),
    c("watch", "nodes"),
    c("create", "events", "kube-system"),
    c("patch", "events", "kube-system"),
    c("create", EVT, "kube-system"),
    c("patch", EVT, "kube-system"),
    c("get", "configmaps/config", NS),
    c("list", "configmaps/config", NS),
    c("watch", "configmaps/config", NS),
    c("create", LEASES, NS),
    c("get", `${LEASES}/signalbox-speaker-node-1`, NS),
    c("update", `${LEASES}/signalbox-speaker-node-1`, NS),
    c("list", LEASES, NS),
    c("watch", LEASES, NS),
  ],
};

// Sensitive or simply unneeded: must be denied.
const common: Check[] = [
  c("get", "secrets", NS),
  c("list", "secrets", "*"),
  c("watch", "secrets", "*"),
  c("create", "pods", NS, "exec"),
  c("list", "pods", "*"),
  c("create", "pods", NS),
  c("delete", "services", "default"),
  c("create", "services", "default"),
  c("update", "nodes"),
  c("patch", "nodes"),
  c("delete", "nodes"),
  c("patch", "nodes", undefined, "status"),
  c("get", "configmaps/config", "kube-system"),
  c("list", "configmaps", "kube-system"),
  c("list", "configmaps", NS), // without the name: only the one ConfigMap is readable
  c("get", "configmaps/kube-root-ca.crt", NS),
  c("update", "configmaps/config", NS),
  c("get", `${LEASES}/signalbox-controller`, "kube-system"),
  c("create", LEASES, "kube-system"),
  c("list", LEASES, "kube-node-lease"),
  c("delete", `${LEASES}/signalbox-controller`, NS),
  c("patch", LEASES, NS),
  c("delete", "events", "default"),
  c("create", "serviceaccounts", NS, "token"),
  c("create", "clusterrolebindings"),
  c("create", "rolebindings", NS),
  c("update", "deployments.apps", NS),
  c("impersonate", "serviceaccounts", NS),
];
const DENIED: Record<keyof typeof SA, Check[]> = {
  controller: [
    ...common,
    c("update", "services", "default"), // patch only: a stale copy never overwrites a user's edit
    c("update", `${LEASES}/signalbox-speaker-node-1`, NS),
    c("list", LEASES, NS),
  ],
  speaker: [
    ...common,
    c("get", "services", "default"),
    c("patch", "services", "default"),
    c("update", "services", "default"),
    c("update", "services", "default", "status"),
    c("patch", "services", "default", "status"),
  ],
};

const describeCheck = (x: Check): string =>
  `${x.verb} ${x.resource}${x.sub ? ` --subresource=${x.sub}` : ""}${x.ns === "*" ? " -A" : x.ns ? ` -n ${x.ns}` : ""}`;

test("deploy: server-side dry run, apply, and least-privilege RBAC on a real kube-apiserver", {
  timeout: 5 * 60_000,
}, async (t) => {
  const binaries = binariesOrSkip(t, prereqs);
  if (binaries === undefined) return;
  const cluster: Cluster = await startCluster({ binaries });
  const k = async (args: string[], input?: string): Promise<Run> =>
    await kubectl(cluster.kubeconfigPath, args, input);
  try {
    await t.test("server-side dry run", async () => {
      // kubectl cannot dry-run objects into a namespace the same dry run "creates": on an empty
      // cluster, everything namespaced fails with NotFound for signalbox-system, and only that.
      const empty = await k(["apply", "-k", DEPLOY, "--dry-run=server"]);
      assert.notEqual(empty.code, 0);
      const errors = empty.stderr.trim().split("\n");
      assert.ok(errors.length > 0);
      for (const e of errors) assert.match(e, /namespaces "signalbox-system" not found/, empty.stderr);

      // With the namespace there, the whole kustomization passes the server's validation,
      // defaulting and admission (Pod Security included) ...
      must(await k(["apply", "-f", join(DEPLOY, "namespace.yaml")]), "apply namespace.yaml");
      const dry = must(await k(["apply", "-k", DEPLOY, "--dry-run=server"]), "apply -k --dry-run=server");
      const lines = dry.trim().split("\n");
      assert.equal(lines.length, 14, dry);
      for (const l of lines) assert.match(l, /\(server dry run\)$/);
      // ... and stores nothing.
      const sa = await k(["get", "serviceaccount", "signalbox-controller", "-n", NS]);
      assert.notEqual(sa.code, 0);
      assert.match(sa.stderr, /NotFound/);
      assert.notEqual((await k(["get", "clusterrole", "signalbox-speaker"])).code, 0);
    });

    await t.test("apply, then apply again: nothing changes", async () => {
      const out = must(await k(["apply", "-k", DEPLOY]), "apply -k");
      assert.match(out, /deployment\.apps\/signalbox-controller created/);
      assert.match(out, /daemonset\.apps\/signalbox-speaker created/);
      const again = must(await k(["apply", "-k", DEPLOY]), "apply -k again");
      for (const l of again.trim().split("\n")) assert.match(l, / unchanged$/, again);
      const dep = JSON.parse(
        must(await k(["get", "deployment", "signalbox-controller", "-n", NS, "-o", "json"]), "get"),
      );
      assert.equal(dep.spec.replicas, 2);
      assert.equal(dep.spec.template.spec.containers[0].image, IMAGE);
    });

    await t.test(
      "Pod Security: the controller passes 'restricted', the speaker needs 'privileged'",
      async () => {
        // No kube-controller-manager makes Pods here, so build them from the templates and let
        // the PodSecurity admission plugin judge them in a namespace that enforces "restricted".
        const strict = "psa-restricted";
        must(await k(["create", "namespace", strict]), "create namespace");
        must(
          await k(["label", "namespace", strict, "pod-security.kubernetes.io/enforce=restricted"]),
          "label namespace",
        );
        const podFrom = async (kind: string, name: string): Promise<string> => {
          const w = JSON.parse(must(await k(["get", kind, name, "-n", NS, "-o", "json"]), `get ${kind}`));
          const spec = { ...w.spec.template.spec, nodeName: "node-1" };
          return JSON.stringify({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, namespace: strict },
            spec,
          });
        };
        const ctl = await k(
          ["create", "-f", "-", "--dry-run=server"],
          await podFrom("deployment", "signalbox-controller"),
        );
        must(ctl, "controller Pod under 'restricted'");
        const spk = await k(
          ["create", "-f", "-", "--dry-run=server"],
          await podFrom("daemonset", "signalbox-speaker"),
        );
        assert.notEqual(spk.code, 0);
        assert.match(spk.stderr, /violates PodSecurity "restricted:latest"/);
        assert.match(spk.stderr, /host namespaces \(hostNetwork=true\)/);
        assert.match(spk.stderr, /NET_RAW/);
        // In signalbox-system (enforce: privileged) the same speaker Pod is admitted.
        const home = (await podFrom("daemonset", "signalbox-speaker")).replace(
          `"namespace":"${strict}"`,
          `"namespace":"${NS}"`,
        );
        must(await k(["create", "-f", "-", "--dry-run=server"], home), "speaker Pod in signalbox-system");
      },
    );

    for (const role of ["controller", "speaker"] as const) {
      await t.test(`kubectl auth can-i: ${role} has what it needs and nothing sensitive`, async () => {
        const ask = async (x: Check): Promise<boolean> => {
          const args = ["auth", "can-i", x.verb, x.resource, `--as=${SA[role]}`];
          if (x.sub) args.push(`--subresource=${x.sub}`);
          if (x.ns === "*") args.push("--all-namespaces");
          else if (x.ns) args.push("-n", x.ns);
          const r = await k(args);
          const answer = r.stdout.trim().split(/\s/)[0];
          if (answer !== "yes" && answer !== "no")
            throw new Error(`can-i ${describeCheck(x)}: ${r.stdout}${r.stderr}`);
          return answer === "yes";
        };
        const wrong: string[] = [];
        const all = [
          ...NEEDS[role].map((x) => ({ x, want: true })),
          ...DENIED[role].map((x) => ({ x, want: false })),
        ];
        // Four at a time: each is one short kubectl process and one SubjectAccessReview.
        for (let i = 0; i < all.length; i += 4) {
          const batch = all.slice(i, i + 4);
          const got = await Promise.all(batch.map(({ x }) => ask(x)));
          batch.forEach(({ x, want }, j) => {
            if (got[j] !== want)
              wrong.push(`${want ? "needed but denied" : "granted but should not be"}: ${describeCheck(x)}`);
          });
        }
        assert.deepEqual(wrong, [], `${role}:\n${wrong.join("\n")}`);
      });
    }

    await t.test(
      "real requests as the ServiceAccounts: the one ConfigMap, the controller's Lease",
      async () => {
        for (const role of ["controller", "speaker"] as const) {
          const as = `--as=${SA[role]}`;
          // What the informer does: list with fieldSelector metadata.name=config (RBAC matches the
          // field selector against resourceNames) ...
          const one = await k([
            "get",
            "configmaps",
            "-n",
            NS,
            "--field-selector=metadata.name=config",
            "-o",
            "name",
            as,
          ]);
          assert.equal(must(one, `${role}: list the ConfigMap by field selector`).trim(), "configmap/config");
          // ... while a plain list is refused.
          const every = await k(["get", "configmaps", "-n", NS, as]);
          assert.notEqual(every.code, 0);
          assert.match(every.stderr, /forbidden/);
        }
        const as = `--as=${SA.controller}`;
        const lease = {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: "signalbox-controller", namespace: NS },
          spec: { holderIdentity: "signalbox-controller-a", leaseDurationSeconds: 15 },
        };
        must(await k(["create", "-f", "-", as], JSON.stringify(lease)), "controller creates its Lease");
        const got = JSON.parse(
          must(await k(["get", "lease", "signalbox-controller", "-n", NS, "-o", "json", as]), "get"),
        );
        got.spec.holderIdentity = "signalbox-controller-b";
        must(
          await k(["replace", "-f", "-", as], JSON.stringify(got)),
          "controller takes the Lease over (update)",
        );
        const other = await k(["delete", "lease", "signalbox-controller", "-n", NS, as]);
        assert.match(other.stderr, /forbidden/);
        // A speaker renews its own per-node Lease.
        const spk = `--as=${SA.speaker}`;
        const nodeLease = { ...lease, metadata: { name: "signalbox-speaker-node-1", namespace: NS } };
        must(await k(["create", "-f", "-", spk], JSON.stringify(nodeLease)), "speaker creates its Lease");
        must(await k(["get", "leases", "-n", NS, spk]), "speaker lists the Leases");
      },
    );

    await t.test("uninstall: kubectl delete -k deploy/", async () => {
      must(await k(["delete", "-k", DEPLOY, "--wait=false"]), "delete -k");
      // Cluster-scoped objects go at once; the namespace stays Terminating here, since no
      // kube-controller-manager runs its finalizer (test/k8s/README.md).
      for (const kind of ["clusterrole", "clusterrolebinding"]) {
        for (const role of ["controller", "speaker"]) {
          const r = await k(["get", kind, `signalbox-${role}`]);
          assert.notEqual(r.code, 0);
          assert.match(r.stderr, /NotFound/);
        }
      }
    });
  } finally {
    await cluster.stop();
  }
});
