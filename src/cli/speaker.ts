/**
 * `signalbox speaker`: runs the speaker on this node.
 *
 *   signalbox speaker [--standalone DIR | --kubeconfig FILE --namespace NS --configmap NAME]
 *                     [--node NAME] [--status-address 127.0.0.1:7473]
 *                     [--bgp-listen [::]:179|off] [--stop graceful|notify] [--log-level info]
 *
 * Without --standalone it watches the Kubernetes API (src/cluster/kubernetes; --kubeconfig or
 * $KUBECONFIG, else the in-cluster service account). An API outage changes nothing: the last
 * view keeps being announced, and the informers resync when the API returns. (Which nodes
 * announce a Service, and why the others do not, is told once per Service by the controller.)
 * --standalone reads Kubernetes manifests from a folder instead of the API (src/cluster/file):
 * the ConfigMap, Services with status.loadBalancer.ingress, and optionally Nodes and
 * EndpointSlices. It watches the folder and applies changes as they come.
 * SIGTERM and SIGINT stop the speaker: with --stop graceful (the default) peers that negotiated
 * graceful restart keep our routes (a restart); the others, and all with --stop notify, get
 * Cease / Administrative Shutdown.
 */
import { hostname } from "node:os";
import { V1MicroTime } from "@kubernetes/client-node";
import { FileClusterSource, formatProblem } from "../cluster/file/index.ts";
import { KubernetesClusterSource, loadKubeConfig, NodeLeases } from "../cluster/kubernetes/index.ts";
import { parseListenAddress, serveEndpoints } from "../observe/http.ts";
import { createLogger, LOG_LEVELS } from "../observe/logger.ts";
import { speakerMetrics } from "../observe/metrics.ts";
import { hostIpv4Addresses } from "../platform/interfaces.ts";
import { LeaseEvidence, RENEW_SECONDS, shouldRenewLease, speakerLease } from "../speaker/l2/index.ts";
import { Speaker } from "../speaker/speaker.ts";
import { Command } from "./args.ts";

const USAGE = `Usage: signalbox speaker [--standalone DIR] [options]

Options:
  --standalone DIR         read manifests (ConfigMap, Services, Nodes, EndpointSlices) from DIR
                           instead of the Kubernetes API
  --kubeconfig FILE        API access (default: $KUBECONFIG, else the in-cluster service account)
  --namespace NS           where the ConfigMap lives (default signalbox-system)
  --configmap NAME         the ConfigMap holding the config under key \`config\` (default config)
  --node NAME              this node's name (default: the host name)
  --status-address ADDR    /status, /metrics, /healthz, /readyz listen address (default 127.0.0.1:7473)
  --bgp-listen ADDR|off    passive BGP listener (default [::]:179: IPv6 and IPv4)
  --stop graceful|notify   on SIGTERM: keep routes at graceful-restart peers, or Cease to all
  --layer2-interval MS     layer-2 heartbeat interval (default 100)
  --layer2-hold MS         a speaker not heard for this long is dead: failover time (default 350;
                           at least twice the interval)
  --log-level LEVEL        ${LOG_LEVELS.join(", ")} (default info)
`;

export async function main(args: string[]): Promise<number> {
  const cmd = new Command("speaker", USAGE);
  const values = cmd.parse(args, {
    standalone: { type: "string" },
    kubeconfig: { type: "string" },
    namespace: { type: "string", default: "signalbox-system" },
    configmap: { type: "string", default: "config" },
    node: { type: "string" },
    "status-address": { type: "string", default: "127.0.0.1:7473" },
    "bgp-listen": { type: "string", default: "[::]:179" },
    stop: { type: "string", default: "graceful" },
    "log-level": { type: "string", default: "info" },
    "layer2-interval": { type: "string", default: "100" },
    "layer2-hold": { type: "string", default: "350" },
  });
  if (typeof values === "number") return values;
  const usage = (msg: string) => cmd.usage(msg);
  const dir = values.standalone as string | undefined;
  const level = cmd.logLevel(values);
  if (typeof level === "number") return level;
  const stopMode = values.stop as string;
  if (stopMode !== "graceful" && stopMode !== "notify") return usage("--stop is graceful or notify");
  const statusAddress = cmd.listenAddress(values, "status-address");
  if (typeof statusAddress === "number") return statusAddress;
  const listenText = values["bgp-listen"] as string;
  const listen = listenText === "off" ? undefined : parseListenAddress(listenText);
  if (listenText !== "off" && listen === undefined)
    return usage(`--bgp-listen ${listenText} is not HOST:PORT or off`);

  const intervalMs = Number(values["layer2-interval"]);
  const holdMs = Number(values["layer2-hold"]);
  if (!Number.isInteger(intervalMs) || intervalMs < 10 || intervalMs > 10_000)
    return usage(
      `--layer2-interval ${values["layer2-interval"]} is not a whole number of ms from 10 to 10000`,
    );
  if (!Number.isInteger(holdMs) || holdMs < 2 * intervalMs || holdMs > 60_000)
    return usage(
      `--layer2-hold ${values["layer2-hold"]} must be whole ms, at least twice the interval, at most 60000`,
    );
  const node = (values.node as string | undefined) ?? hostname();
  const logger = createLogger(level);
  // With the API, per-node Leases arbitrate layer-2 disputes the heartbeats cannot settle
  // (src/speaker/l2/README.md, "Split brain"); standalone, heartbeats alone decide.
  const evidence = dir === undefined ? new LeaseEvidence() : undefined;
  const speaker = new Speaker({
    node,
    logger,
    hostIpv4: hostIpv4Addresses,
    ...(listen ? { listen } : {}),
    l2: { settings: { intervalMs, holdMs }, ...(evidence ? { arbiter: evidence } : {}) },
  });
  await speaker.start();
  let source: FileClusterSource | KubernetesClusterSource;
  let leases: NodeLeases | undefined;
  let sourceStatus: () => unknown;
  if (dir !== undefined) {
    const files = new FileClusterSource({
      dir,
      onError: (p) => logger.error({ file: p.file, line: p.line }, `manifest problem: ${formatProblem(p)}`),
    });
    source = files;
    sourceStatus = () => ({ dir, problems: files.problems().map(formatProblem) });
  } else {
    let kubeConfig: ReturnType<typeof loadKubeConfig>;
    try {
      kubeConfig = loadKubeConfig(values.kubeconfig as string | undefined);
    } catch (e) {
      process.stderr.write(`signalbox speaker: cannot load API credentials: ${(e as Error).message}\n`);
      await speaker.stop("notify");
      return 1;
    }
    const api = new KubernetesClusterSource({
      kubeConfig,
      namespace: values.namespace as string,
      configMapName: values.configmap as string,
      onError: (m) => logger.warn(`API: ${m}`),
    });
    source = api;
    const namespace = values.namespace as string;
    leases = new NodeLeases({
      kubeConfig,
      namespace,
      labelSelector: "app.kubernetes.io/component=speaker",
      renewEveryMs: RENEW_SECONDS * 1000,
      renewBody: () => {
        const l2 = speaker.status().layer2;
        if (l2 === undefined || !shouldRenewLease(l2)) return undefined;
        const body = speakerLease(node, l2.incarnation, namespace, new Date());
        // MicroTime on the wire (RFC 3339 with microseconds), as the API requires.
        return { ...body, spec: { ...body.spec, renewTime: new V1MicroTime(Date.now()) } };
      },
      onLease: (verb, lease, now) =>
        verb === "delete" ? evidence!.remove(lease, now) : evidence!.upsert(lease, now),
      onSynced: (now) => evidence!.synced(now),
      onRenewed: (now) => evidence!.apiReachable(now),
      onError: (m) => logger.warn(`API: ${m}`),
    });
    const l = leases;
    sourceStatus = () => ({ ...api.status(), leases: l.status() });
  }
  const registry = speakerMetrics(() => speaker.status());
  const server = await serveEndpoints(
    {
      status: () => ({ ...speaker.status(), source: sourceStatus() }),
      ready: () => speaker.ready(),
      metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    },
    statusAddress,
  );
  logger.info({ node, source: dir ?? "kubernetes", status: statusAddress }, "speaker started");
  void leases?.start();
  await source.start((snapshot) => {
    try {
      speaker.update(snapshot);
    } catch (e) {
      // A bug must not take the sessions down: log it, keep running the last plan.
      logger.error({ err: e }, "applying the snapshot failed");
    }
  });

  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal, mode: stopMode }, "stopping");
      void (async () => {
        await source.stop();
        await speaker.stop(stopMode, `signalbox speaker on ${node} stopping`);
        // After the leaving heartbeat: peers already took over; the released Lease confirms it.
        await leases?.stop();
        server.close();
        resolve(0);
      })();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
