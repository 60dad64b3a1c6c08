/**
 * signalbox's speaker as a `prefix-flood.sh -s cmd` participant (../shared/bench/README.md,
 * "Plugging in a speaker"): one eBGP session to the collector, N /32s from BX_PREFIX_BASE,
 * SIGUSR2 withdraws all, SIGHUP announces all again, SIGTERM stops with a Cease.
 * It uses the production session runtime (src/speaker/bgp), nothing bench-specific.
 */
import { IpAddress, Prefix } from "../protocol/ip/index.ts";
import { BgpSession, type Route, route } from "../src/speaker/bgp/index.ts";

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === "") throw new Error(`${name} is not set`);
  return v;
}

const n = Number(env("BX_N"));
const base = IpAddress.of(env("BX_PREFIX_BASE"));
const len = Number(process.env.BX_PREFIX_LEN ?? "32");
const routes: Route[] = new Array(n);
for (let i = 0; i < n; i++) routes[i] = route(new Prefix(4, len, base.w0 + i * 2 ** (32 - len)));

const session = new BgpSession(
  {
    peerAddress: IpAddress.of(env("BX_PEER_ADDR")),
    peerPort: Number(process.env.BX_PEER_PORT ?? "179"),
    peerAs: Number(env("BX_PEER_AS")),
    localAs: Number(env("BX_LOCAL_AS")),
    routerId: IpAddress.of(env("BX_ROUTER_ID")),
    sourceAddress: IpAddress.of(env("BX_LOCAL_ADDR")),
    holdTime: 90,
    connectRetryTime: 1,
    passive: false,
    maxPrefixes: 1_000_000,
    extendedMessage: true,
  },
  {
    onEvent: (e) => {
      if (e.type === "state" || e.type === "notificationReceived" || e.type === "notificationSent") {
        process.stdout.write(`${new Date().toISOString()} ${JSON.stringify(e)}\n`);
      }
    },
  },
);
session.setRoutes(routes);
session.start();
process.on("SIGUSR2", () => session.setRoutes([]));
process.on("SIGHUP", () => session.setRoutes(routes));
process.on("SIGTERM", () => {
  void session.stop({ mode: "notify", text: "benchmark done" }).then(() => process.exit(0));
});
