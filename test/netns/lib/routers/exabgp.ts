// ExaBGP 4 driver: `exabgp <config>` in the foreground, with one API process — a small Python
// helper written next to the config — that does two jobs:
//   - everything ExaBGP reports (`encoder json`; `receive { parsed; update; notification; }`
//     and `neighbor-changes`) is appended, one JSON object per line, to received.jsonl;
//   - every line written to the command FIFO is passed to ExaBGP as an API command
//     (`announce route …`, `withdraw route …`, `neighbor X teardown 2`, …).
// So ExaBGP serves both as a plain peer (sessionState, receivedRoutes rebuilt from the JSON
// lines) and as a scripted one (command()).
//
// ExaBGP connects out unless `passive` (exabgp.tcp.bind stays empty: no global listener); a
// passive neighbor listens on its local address
// (`listen <port>`), so passive neighbors need a local address: when none is given the driver
// asks the kernel which source address reaches the neighbor (`ip route get`).

import { closeSync, constants, existsSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "../netns.ts";
import { waitFor } from "../wait.ts";
import { BaseRouter, emptyRoute, normalizeOrigin } from "./base.ts";
import type {
  Family,
  NeighborOptions,
  OriginateRoute,
  ReceivedRoute,
  RouterOptions,
  SessionState,
} from "./types.ts";
import { familyOf, holdTimeOf, neighborFamilies, normalizePrefix } from "./types.ts";

const HELPER = `# signalbox netns harness: ExaBGP API process (see exabgp.ts)
import os, sys, threading
rx, cmd = sys.argv[1], sys.argv[2]
def commands():
    fd = os.open(cmd, os.O_RDWR)  # read-write: never sees EOF when a writer closes
    with os.fdopen(fd, "r") as f:
        for line in f:
            sys.stdout.write(line)
            sys.stdout.flush()
threading.Thread(target=commands, daemon=True).start()
with open(rx, "a") as out:
    for line in sys.stdin:
        out.write(line)
        out.flush()
`;

export class ExabgpRouter extends BaseRouter {
  readonly kind = "exabgp" as const;
  readonly configFile: string;
  /** JSON lines ExaBGP reported (states, updates, notifications). */
  readonly receivedFile: string;
  readonly commandFifo: string;
  #localAddresses = new Map<string, string>();

  constructor(lab: Lab, ns: string, options: RouterOptions) {
    super(lab, ns, options, "exabgp");
    this.configFile = join(this.dir, "exabgp.conf");
    this.receivedFile = join(this.dir, "received.jsonl");
    this.commandFifo = join(this.dir, "commands.fifo");
  }

  async start(): Promise<void> {
    writeFileSync(join(this.dir, "api.py"), HELPER);
    if (!existsSync(this.commandFifo))
      await this.lab.run(undefined, ["mkfifo", "-m", "600", this.commandFifo]);
    // A fresh process knows no sessions: earlier lines would describe the previous run.
    writeFileSync(this.receivedFile, "");
    for (const n of this.options.neighbors) {
      if (n.localAddress !== undefined || this.#localAddresses.has(n.address)) continue;
      const out = await this.lab.run(this.ns, ["ip", "-j", "route", "get", n.address]);
      const src = (JSON.parse(out) as { prefsrc?: string }[])[0]?.prefsrc;
      if (!src) throw new Error(`exabgp in ${this.ns}: no source address towards ${n.address}`);
      this.#localAddresses.set(n.address, src);
    }
    writeFileSync(this.configFile, this.config());
    const d = this.lab.spawn(this.ns, ["exabgp", this.configFile], {
      logFile: join(this.dir, "exabgp.out"),
      env: {
        exabgp_daemon_user: "root",
        exabgp_daemon_daemonize: "false",
        exabgp_api_cli: "false",
        exabgp_log_destination: join(this.dir, "exabgp.log"),
        exabgp_log_level: "INFO",
      },
    });
    this.track(d, 0);
    try {
      // Ready when the API process has opened the FIFO (a non-blocking open then succeeds).
      await waitFor(
        () => {
          this.assertRunning();
          try {
            closeSync(openSync(this.commandFifo, constants.O_WRONLY | constants.O_NONBLOCK));
            return true;
          } catch {
            return false;
          }
        },
        { what: `exabgp in ${this.ns} and its API process`, timeoutMs: 15_000, intervalMs: 100 },
      );
    } catch (err) {
      throw this.withLog(err);
    }
  }

  /** Sends one API command line to ExaBGP (e.g. "neighbor 10.0.0.1 teardown 2"). */
  command(line: string): void {
    let fd: number;
    try {
      fd = openSync(this.commandFifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      throw new Error(`exabgp in ${this.ns}: API process not running`, { cause: err });
    }
    try {
      writeSync(fd, `${line.trim()}\n`);
    } finally {
      closeSync(fd);
    }
  }

  /** Every JSON message ExaBGP reported since start. */
  messages(): ExabgpMessage[] {
    let text: string;
    try {
      text = readFileSync(this.receivedFile, "utf8");
    } catch {
      return [];
    }
    const out: ExabgpMessage[] = [];
    for (const line of text.split("\n")) {
      if (!line.trim().startsWith("{")) continue;
      try {
        out.push(JSON.parse(line) as ExabgpMessage);
      } catch {
        // a line being written right now
      }
    }
    return out;
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    let last: ExabgpMessage | undefined;
    for (const m of this.messages())
      if (m.type === "state" && m.neighbor?.address?.peer === neighbor) last = m;
    const word = last?.neighbor?.state;
    const state =
      word === "up" ? "Established" : word === "connected" ? "Connect" : word === "down" ? "Idle" : "Idle";
    const result: SessionState = { state, established: state === "Established" };
    if (result.established && last?.time !== undefined) result.uptimeSeconds = Date.now() / 1000 - last.time;
    return result;
  }

  async receivedRoutes(family?: Family): Promise<ReceivedRoute[]> {
    const routes = exabgpRib(this.messages());
    return family ? routes.filter((r) => familyOf(r.prefix) === family) : routes;
  }

  protected async applyAnnounce(r: OriginateRoute): Promise<void> {
    this.command(`announce route ${routeText(r)}`);
  }

  protected async applyWithdraw(prefix: string): Promise<void> {
    this.command(`withdraw route ${prefix} next-hop self`);
  }

  localAddressFor(n: NeighborOptions): string | undefined {
    return n.localAddress ?? this.#localAddresses.get(n.address);
  }

  config(): string {
    const o = this.options;
    const l: string[] = [];
    l.push("process sbx {");
    l.push(
      `  run /usr/bin/env python3 ${join(this.dir, "api.py")} ${this.receivedFile} ${this.commandFifo};`,
    );
    l.push("  encoder json;", "}");
    for (const n of o.neighbors) {
      const local = this.localAddressFor(n);
      l.push(`neighbor ${n.address} {`);
      if (n.description) l.push(`  description ${JSON.stringify(n.description)};`);
      l.push(`  router-id ${o.routerId};`);
      if (local) l.push(`  local-address ${local};`);
      l.push(`  local-as ${o.asn};`, `  peer-as ${n.peerAs};`, `  hold-time ${holdTimeOf(n)};`);
      if (n.passive) l.push("  passive true;", `  listen ${o.listenPort || 179};`);
      if (n.port !== undefined) l.push(`  connect ${n.port};`);
      if (n.multihop !== undefined) l.push(`  outgoing-ttl ${n.multihop};`);
      if (n.password !== undefined) l.push(`  md5-password ${JSON.stringify(n.password)};`);
      l.push("  family {", ...neighborFamilies(n).map((f) => `    ${f} unicast;`), "  }");
      l.push("  capability {", "    route-refresh;");
      if (n.gracefulRestart) l.push(`    graceful-restart ${n.restartTime ?? 30};`);
      l.push("  }");
      l.push("  api {", "    processes [ sbx ];", "    neighbor-changes;");
      l.push("    receive { parsed; update; notification; }", "  }");
      const mine = [...this.routes.values()].filter((r) => neighborFamilies(n).includes(familyOf(r.prefix)));
      if (mine.length > 0) {
        l.push("  static {", ...mine.map((r) => `    route ${routeText(r)};`), "  }");
      }
      l.push("}");
    }
    return `${l.join("\n")}\n`;
  }
}

export async function start(lab: Lab, ns: string, options: RouterOptions): Promise<ExabgpRouter> {
  const r = new ExabgpRouter(lab, ns, options);
  await r.start();
  return r;
}

function routeText(r: OriginateRoute): string {
  const parts = [normalizePrefix(r.prefix), "next-hop", r.nextHop ?? "self"];
  if (r.med !== undefined) parts.push("med", String(r.med));
  if (r.localPref !== undefined) parts.push("local-preference", String(r.localPref));
  if (r.communities?.length) parts.push("community", `[${r.communities.join(" ")}]`);
  if (r.largeCommunities?.length) parts.push("large-community", `[${r.largeCommunities.join(" ")}]`);
  return parts.join(" ");
}

interface ExabgpAttributes {
  origin?: string;
  "as-path"?: (number | number[])[];
  med?: number;
  "local-preference"?: number;
  community?: [number, number][];
  "large-community"?: [number, number, number][];
  "extended-community"?: ({ value?: number; string?: string } | string)[];
}

export interface ExabgpMessage {
  type?: string;
  time?: number;
  neighbor?: {
    address?: { local?: string; peer?: string };
    state?: string;
    message?: {
      update?: {
        attribute?: ExabgpAttributes;
        announce?: Record<string, Record<string, { nlri?: string }[]>>;
        withdraw?: Record<string, { nlri?: string }[]>;
      };
      eor?: unknown;
    };
  };
}

/** Replays ExaBGP's JSON messages into the routes each peer currently announces. */
export function exabgpRib(messages: ExabgpMessage[]): ReceivedRoute[] {
  const byPeer = new Map<string, Map<string, ReceivedRoute>>();
  for (const m of messages) {
    const peer = m.neighbor?.address?.peer;
    if (peer === undefined) continue;
    let rib = byPeer.get(peer);
    if (!rib) {
      rib = new Map();
      byPeer.set(peer, rib);
    }
    if (m.type === "state" && m.neighbor?.state === "down") {
      rib.clear();
      continue;
    }
    const update = m.type === "update" ? m.neighbor?.message?.update : undefined;
    if (!update) continue;
    for (const list of Object.values(update.withdraw ?? {})) {
      if (!Array.isArray(list)) continue;
      for (const n of list) if (n.nlri) rib.delete(normalizePrefix(n.nlri));
    }
    for (const byNextHop of Object.values(update.announce ?? {})) {
      for (const [nextHop, list] of Object.entries(byNextHop ?? {})) {
        if (!Array.isArray(list)) continue;
        for (const n of list) {
          if (!n.nlri) continue;
          const r = emptyRoute(n.nlri);
          r.peer = peer;
          r.best = true;
          r.nextHops = [nextHop];
          applyAttributes(r, update.attribute ?? {});
          rib.set(r.prefix, r);
        }
      }
    }
  }
  return [...byPeer.values()].flatMap((rib) => [...rib.values()]);
}

function applyAttributes(r: ReceivedRoute, a: ExabgpAttributes): void {
  r.origin = normalizeOrigin(a.origin);
  r.asPath = (a["as-path"] ?? []).flat();
  if (a.med !== undefined) r.med = a.med;
  if (a["local-preference"] !== undefined) r.localPref = a["local-preference"];
  r.communities = (a.community ?? []).map((c) => c.join(":"));
  r.largeCommunities = (a["large-community"] ?? []).map((c) => c.join(":"));
  r.extendedCommunities = (a["extended-community"] ?? []).map((e) =>
    typeof e === "string" ? e : (e.string ?? String(e.value)),
  );
}
