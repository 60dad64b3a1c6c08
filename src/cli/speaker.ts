/**
 * `signalbox speaker`: runs the speaker on this node.
 *
 *   signalbox speaker --standalone DIR [--node NAME] [--status-address 127.0.0.1:7473]
 *                     [--bgp-listen [::]:179|off] [--stop graceful|notify] [--log-level info]
 *
 * --standalone reads Kubernetes manifests from a folder instead of the API (src/cluster/file):
 * the ConfigMap, Services with status.loadBalancer.ingress, and optionally Nodes and
 * EndpointSlices. It watches the folder and applies changes as they come.
 * SIGTERM and SIGINT stop the speaker: with --stop graceful (the default) peers that negotiated
 * graceful restart keep our routes (a restart); the others, and all with --stop notify, get
 * Cease / Administrative Shutdown.
 */
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { FileClusterSource, formatProblem } from "../cluster/file/index.ts";
import { parseListenAddress, serveEndpoints } from "../observe/http.ts";
import { createLogger, LOG_LEVELS, type LogLevel } from "../observe/logger.ts";
import { speakerMetrics } from "../observe/metrics.ts";
import { hostIpv4Addresses } from "../platform/interfaces.ts";
import { Speaker } from "../speaker/speaker.ts";

const USAGE = `Usage: signalbox speaker --standalone DIR [options]

Options:
  --standalone DIR         read manifests (ConfigMap, Services, Nodes, EndpointSlices) from DIR
  --node NAME              this node's name (default: the host name)
  --status-address ADDR    /status, /metrics, /healthz, /readyz listen address (default 127.0.0.1:7473)
  --bgp-listen ADDR|off    passive BGP listener (default [::]:179: IPv6 and IPv4)
  --stop graceful|notify   on SIGTERM: keep routes at graceful-restart peers, or Cease to all
  --log-level LEVEL        ${LOG_LEVELS.join(", ")} (default info)
`;

export async function main(args: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        standalone: { type: "string" },
        node: { type: "string" },
        "status-address": { type: "string", default: "127.0.0.1:7473" },
        "bgp-listen": { type: "string", default: "[::]:179" },
        stop: { type: "string", default: "graceful" },
        "log-level": { type: "string", default: "info" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`signalbox speaker: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const usage = (msg: string) => {
    process.stderr.write(`signalbox speaker: ${msg}\n\n${USAGE}`);
    return 2;
  };
  const dir = values.standalone as string | undefined;
  if (dir === undefined)
    return usage("--standalone DIR is required (the Kubernetes API source comes with the Kubernetes issue)");
  const level = values["log-level"] as LogLevel;
  if (!LOG_LEVELS.includes(level)) return usage(`unknown log level ${level}`);
  const stopMode = values.stop as string;
  if (stopMode !== "graceful" && stopMode !== "notify") return usage("--stop is graceful or notify");
  const statusAddress = parseListenAddress(values["status-address"] as string);
  if (statusAddress === undefined)
    return usage(`--status-address ${values["status-address"]} is not HOST:PORT`);
  const listenText = values["bgp-listen"] as string;
  const listen = listenText === "off" ? undefined : parseListenAddress(listenText);
  if (listenText !== "off" && listen === undefined)
    return usage(`--bgp-listen ${listenText} is not HOST:PORT or off`);

  const node = (values.node as string | undefined) ?? hostname();
  const logger = createLogger(level);
  const speaker = new Speaker({ node, logger, hostIpv4: hostIpv4Addresses, ...(listen ? { listen } : {}) });
  await speaker.start();
  const source = new FileClusterSource({
    dir,
    onError: (p) => logger.error({ file: p.file, line: p.line }, `manifest problem: ${formatProblem(p)}`),
  });
  const registry = speakerMetrics(() => speaker.status());
  const server = await serveEndpoints(
    {
      status: () => ({
        ...speaker.status(),
        source: { dir, problems: source.problems().map(formatProblem) },
      }),
      ready: () => speaker.ready(),
      metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    },
    statusAddress,
  );
  logger.info({ node, dir, status: statusAddress }, "speaker started");
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
        server.close();
        resolve(0);
      })();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
