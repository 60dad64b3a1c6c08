/**
 * `signalbox controller`: allocates addresses for Services of type LoadBalancer.
 *
 *   signalbox controller [--kubeconfig FILE] [--namespace NS] [--configmap NAME]
 *                        [--status-address 127.0.0.1:7472] [--leader-elect] [--identity NAME]
 *                        [--lb-class CLASS] [--log-level info]
 *
 * Without --kubeconfig (or $KUBECONFIG) it uses the in-cluster service account. With
 * --leader-elect only the holder of Lease `signalbox-controller` in NS writes; the others keep
 * a warm view and take over when it goes.
 */
import { hostname } from "node:os";
import {
  KubernetesClusterSource,
  KubernetesWriter,
  LeaderElector,
  loadKubeConfig,
} from "../cluster/kubernetes/index.ts";
import { Controller } from "../controller/controller.ts";
import { controllerMetrics } from "../observe/controller-metrics.ts";
import { serveEndpoints } from "../observe/http.ts";
import { createLogger, LOG_LEVELS } from "../observe/logger.ts";
import { Command } from "./args.ts";

export const LEASE_NAME = "signalbox-controller";

const USAGE = `Usage: signalbox controller [options]

Options:
  --kubeconfig FILE        API access (default: $KUBECONFIG, else the in-cluster service account)
  --namespace NS           where the ConfigMap and the leader Lease live (default signalbox-system)
  --configmap NAME         the ConfigMap holding the config under key \`config\` (default config)
  --status-address ADDR    /status, /metrics, /healthz, /readyz (default 127.0.0.1:7472)
  --leader-elect           run several replicas; only the Lease holder writes
  --identity NAME          this replica's name in the Lease (default $POD_NAME, else the host name)
  --lb-class CLASS         serve Services of this spec.loadBalancerClass (default: only those without one)
  --log-level LEVEL        ${LOG_LEVELS.join(", ")} (default info)
`;

export async function main(args: string[]): Promise<number> {
  const cmd = new Command("controller", USAGE);
  const values = cmd.parse(args, {
    kubeconfig: { type: "string" },
    namespace: { type: "string", default: "signalbox-system" },
    configmap: { type: "string", default: "config" },
    "status-address": { type: "string", default: "127.0.0.1:7472" },
    "leader-elect": { type: "boolean", default: false },
    identity: { type: "string" },
    "lb-class": { type: "string" },
    "log-level": { type: "string", default: "info" },
  });
  if (typeof values === "number") return values;
  const level = cmd.logLevel(values);
  if (typeof level === "number") return level;
  const statusAddress = cmd.listenAddress(values, "status-address");
  if (typeof statusAddress === "number") return statusAddress;
  const namespace = values.namespace as string;
  const configMapName = values.configmap as string;
  const identity = (values.identity as string | undefined) ?? process.env["POD_NAME"] ?? hostname();
  const lbClass = values["lb-class"] as string | undefined;
  const logger = createLogger(level);

  let kubeConfig: ReturnType<typeof loadKubeConfig>;
  try {
    kubeConfig = loadKubeConfig(values.kubeconfig as string | undefined);
  } catch (e) {
    process.stderr.write(`signalbox controller: cannot load API credentials: ${(e as Error).message}\n`);
    return 1;
  }
  const writer = new KubernetesWriter({
    kubeConfig,
    component: "signalbox-controller",
    instance: identity,
    onError: (m) => logger.warn(m),
  });
  const controller = new Controller({
    logger,
    writer,
    configMap: { namespace, name: configMapName },
    ...(lbClass !== undefined ? { loadBalancerClass: lbClass } : {}),
  });
  const source = new KubernetesClusterSource({
    kubeConfig,
    namespace,
    configMapName,
    onError: (m) => logger.warn(`API: ${m}`),
  });
  const elector = values["leader-elect"]
    ? new LeaderElector({
        kubeConfig,
        namespace,
        name: LEASE_NAME,
        identity,
        onStartedLeading: () => controller.setLeader(true),
        onStoppedLeading: (why) => {
          logger.warn({ why }, "lost leadership");
          controller.setLeader(false);
        },
        onError: (m) => logger.warn(m),
      })
    : undefined;

  const registry = controllerMetrics(() => controller.status());
  const server = await serveEndpoints(
    {
      status: () => ({
        role: "controller",
        identity,
        leaderElection: elector?.status() ?? "disabled",
        api: source.status(),
        ...controller.status(),
        events: writer.stats(),
      }),
      ready: () => source.status().synced && controller.ready(),
      metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    },
    statusAddress,
  );
  logger.info(
    { identity, namespace, configMap: configMapName, status: statusAddress },
    "controller starting",
  );
  await source.start((snapshot) => {
    try {
      controller.update(snapshot);
    } catch (e) {
      logger.error({ err: e }, "applying the snapshot failed");
    }
  });
  logger.info({ api: source.status().api }, "cluster view synced");
  if (elector) elector.start();
  else controller.setLeader(true);

  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "stopping");
      void (async () => {
        controller.stop();
        await elector?.stop();
        await source.stop();
        server.close();
        resolve(0);
      })();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
