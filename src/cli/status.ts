/**
 * `signalbox status`: what the controller and every speaker say, in one place (issue #7).
 *
 *   signalbox status [service NAMESPACE/NAME] [--json] [--timeout 3s]
 *                    [--kubeconfig FILE] [--namespace signalbox-system]
 *                    [--speakers HOST:PORT,…] [--controller HOST:PORT,…]
 *
 * Finds the processes through the Kubernetes API (the Pods labelled
 * app.kubernetes.io/name=signalbox in the namespace, their IP and the container port named
 * `monitoring`), or takes the addresses given (standalone hosts); fetches every `/status` in
 * parallel, each bounded by --timeout; prints the merge (status-view.ts). This file is the
 * I/O edge: discovery, fetch, output, exit status.
 *
 * Exit status: 0 every process answered; 1 some could not be reached (named on stderr, the
 * others still printed), discovery failed, or the Service asked about is unknown; 2 usage.
 */
import { request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import type { CoreV1Api } from "@kubernetes/client-node";
import {
  explainService,
  type Fetched,
  hostPort,
  mergeStatus,
  POD_SELECTOR,
  type PodLike,
  type Role,
  renderOverview,
  reportJson,
  serviceKeyOf,
  type Target,
  targetsFromPods,
} from "./status-view.ts";

const USAGE = `Usage: signalbox status [service NAMESPACE/NAME] [options]

Shows the BGP sessions of every node and every LoadBalancer Service with its IPs, pool, the
nodes announcing it and why the others do not. \`status service NS/NAME\` explains one Service.

Where the processes are (one of):
  --kubeconfig FILE        find the Pods through the API (default: $KUBECONFIG, else in-cluster)
  --namespace NS           the namespace of the signalbox Pods (default signalbox-system)
  --speakers ADDR,…        standalone hosts: speakers' status addresses (HOST:PORT, [V6]:PORT)
  --controller ADDR,…      and the controller's (optional)

Options:
  --json                   one merged JSON document (for scripts) instead of tables
  --timeout DURATION       per request: 500ms, 3s (default 3s)

Exit status: 0 every process answered, 1 some could not be reached (named on stderr) or the
Service is unknown, 2 usage error.
`;

/** `500ms`, `3s`, `3` (seconds) → milliseconds. */
export function parseTimeout(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (m === null) return undefined;
  const ms = m[2] === "ms" ? Number(m[1]) : Number(m[1]) * 1000;
  return ms > 0 && ms <= 600_000 ? ms : undefined;
}

/** `host:port,[v6]:port` → addresses in canonical form, or the first bad one. */
export function parseAddressList(
  text: string,
): { ok: true; addresses: string[] } | { ok: false; bad: string } {
  const out: string[] = [];
  for (const raw of text.split(",")) {
    const a = raw.trim();
    if (a === "") continue;
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(a);
    const port = Number(m?.[3]);
    if (m === null || port < 1 || port > 65535) return { ok: false, bad: a };
    out.push(hostPort((m[1] ?? m[2])!, port));
  }
  return out.length === 0 ? { ok: false, bad: text } : { ok: true, addresses: out };
}

/** A transport error in a few words: `connection refused`, `no answer within 3 s`. */
export function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; code?: string; message?: string; cause?: { name?: string } };
  if (err?.name === "TimeoutError" || err?.name === "AbortError" || err?.cause?.name === "TimeoutError")
    return `no answer within ${timeoutMs / 1000} s`;
  const words: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
    ECONNRESET: "connection reset",
    ENOTFOUND: "host name not found",
    EAI_AGAIN: "host name lookup failed",
    ETIMEDOUT: "connection timed out",
  };
  if (err?.code !== undefined) return words[err.code] ?? `${err.code}: ${err.message ?? ""}`.trim();
  return err?.message ?? String(e);
}

/** The body of GET http://ADDRESS/status, the whole exchange bounded by `timeoutMs`. */
function httpGet(address: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  // node:http rather than fetch: fetch refuses "bad ports" (6000, 10080, …) a status port may use.
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `http://${address}/status`,
      { headers: { accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** GET http://ADDRESS/status, bounded; never throws. */
export async function fetchStatus(target: Target, timeoutMs: number): Promise<Fetched> {
  try {
    const r = await httpGet(target.address, timeoutMs);
    if (r.status !== 200) return { target, ok: false, error: `HTTP ${r.status} from /status` };
    try {
      return { target, ok: true, doc: JSON.parse(r.body) };
    } catch {
      return { target, ok: false, error: "/status answered, but not with JSON" };
    }
  } catch (e) {
    return { target, ok: false, error: describeFetchError(e, timeoutMs) };
  }
}

class DiscoveryError extends Error {
  override name = "DiscoveryError";
}

/** The signalbox Pods of the namespace, through the API; bounded by `timeoutMs`. */
async function discover(
  kubeconfig: string | undefined,
  namespace: string,
  timeoutMs: number,
): Promise<{ targets: Target[]; unreached: Fetched[] }> {
  // Loaded only here: standalone mode (--speakers) needs no API client.
  const { CoreV1Api: CoreApi } = await import("@kubernetes/client-node");
  const { describeApiError, loadKubeConfig } = await import("../cluster/kubernetes/index.ts");
  let core: CoreV1Api;
  let server = "the API";
  try {
    const kc = loadKubeConfig(kubeconfig);
    server = kc.getCurrentCluster()?.server ?? server;
    core = kc.makeApiClient(CoreApi);
  } catch (e) {
    throw new DiscoveryError(`cannot load API credentials: ${(e as Error).message}`);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DiscoveryError(`${server} did not answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    const pods = await Promise.race([
      core.listNamespacedPod({ namespace, labelSelector: POD_SELECTOR }),
      timeout,
    ]);
    const items = (pods.items ?? []) as PodLike[];
    if (items.length === 0)
      throw new DiscoveryError(
        `no signalbox Pods in namespace ${namespace} (label selector ${POD_SELECTOR}) at ${server}`,
      );
    return targetsFromPods(items);
  } catch (e) {
    if (e instanceof DiscoveryError) throw e;
    throw new DiscoveryError(
      `cannot list the Pods of namespace ${namespace} at ${server}: ${describeApiError(e)}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

export async function main(args: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        kubeconfig: { type: "string" },
        namespace: { type: "string" },
        speakers: { type: "string" },
        controller: { type: "string" },
        json: { type: "boolean", default: false },
        timeout: { type: "string", default: "3s" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    process.stderr.write(`signalbox status: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const usage = (msg: string) => {
    process.stderr.write(`signalbox status: ${msg}\n\n${USAGE}`);
    return 2;
  };

  let service: string | undefined;
  if (positionals.length > 0) {
    if (positionals[0] !== "service") return usage(`unknown subcommand '${positionals[0]}'`);
    if (positionals.length !== 2) return usage("`status service` takes one NAMESPACE/NAME");
    service = serviceKeyOf(positionals[1]!);
    if (service === undefined) return usage(`'${positionals[1]}' is not NAMESPACE/NAME`);
  }
  const timeoutMs = parseTimeout(values.timeout as string);
  if (timeoutMs === undefined) return usage(`--timeout ${values.timeout} is not a duration like 500ms or 3s`);
  const standalone = values.speakers !== undefined || values.controller !== undefined;
  if (standalone && (values.kubeconfig !== undefined || values.namespace !== undefined))
    return usage("give either --speakers/--controller or --kubeconfig/--namespace, not both");

  let targets: Target[] = [];
  let unreached: Fetched[] = [];
  if (standalone) {
    for (const role of ["controller", "speakers"] as const) {
      const text = values[role] as string | undefined;
      if (text === undefined) continue;
      const parsed = parseAddressList(text);
      if (!parsed.ok) return usage(`--${role}: '${parsed.bad}' is not HOST:PORT`);
      const r: Role = role === "speakers" ? "speaker" : "controller";
      targets.push(...parsed.addresses.map((address) => ({ role: r, address })));
    }
  } else {
    try {
      ({ targets, unreached } = await discover(
        values.kubeconfig as string | undefined,
        (values.namespace as string | undefined) ?? "signalbox-system",
        Math.max(timeoutMs, 5000),
      ));
    } catch (e) {
      process.stderr.write(`signalbox status: ${(e as Error).message}\n`);
      return 1;
    }
  }

  const fetched = [...unreached, ...(await Promise.all(targets.map((t) => fetchStatus(t, timeoutMs))))];
  const report = mergeStatus(fetched);
  for (const u of report.unreachable)
    process.stderr.write(`signalbox status: cannot reach ${u.who}: ${u.error}\n`);

  let found = true;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(reportJson(report, service), null, 2)}\n`);
    if (service !== undefined) found = explainService(report, service).found;
  } else if (service !== undefined) {
    const e = explainService(report, service);
    found = e.found;
    process.stdout.write(`${e.text}\n`);
  } else {
    process.stdout.write(`${renderOverview(report)}\n`);
  }
  return report.unreachable.length > 0 || !found ? 1 : 0;
}
