// BIRD 2 driver: `bird -f` in the namespace with its own config, control socket and pid file
// in the router's directory; queried with `birdc -s <socket>` (text output, parsed here).
//
// Config shape: one `protocol bgp nK` per neighbor, static protocols s4/s6 for originated
// routes (blackhole routes carrying their BGP attributes), and kernel protocols k4/k6 that
// export only BGP routes (so the blackholes never reach the kernel), with `merge paths` when
// multipath is on. Changing the originated routes rewrites the config and runs
// `birdc configure`.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "../netns.ts";
import { waitFor } from "../wait.ts";
import { BaseRouter, emptyRoute, normalizeOrigin } from "./base.ts";
import type { Family, OriginateRoute, ReceivedRoute, RouterOptions, SessionState } from "./types.ts";
import {
  familyOf,
  holdTimeOf,
  keepaliveOf,
  multipathCount,
  neighborFamilies,
  normalizePrefix,
  parseAsPathText,
} from "./types.ts";

export class BirdRouter extends BaseRouter {
  readonly kind = "bird" as const;
  readonly socket: string;
  readonly configFile: string;

  constructor(lab: Lab, ns: string, options: RouterOptions) {
    super(lab, ns, options, "bird");
    this.socket = join(this.dir, "bird.ctl");
    this.configFile = join(this.dir, "bird.conf");
  }

  /** The BGP protocol name for a neighbor address. */
  protocolName(neighbor: string): string {
    const i = this.options.neighbors.findIndex((n) => n.address === neighbor);
    if (i < 0) throw new Error(`bird in ${this.ns}: no neighbor ${neighbor}`);
    return `n${i}`;
  }

  async start(): Promise<void> {
    this.writeConfig();
    const d = this.lab.spawn(
      this.ns,
      ["bird", "-f", "-c", this.configFile, "-s", this.socket, "-P", join(this.dir, "bird.pid")],
      { logFile: join(this.dir, "bird.out") },
    );
    this.track(d, 0);
    try {
      await waitFor(
        async () => {
          this.assertRunning();
          return (await this.birdc(["show", "status"], 3000)).includes("Daemon is up and running");
        },
        { what: `bird in ${this.ns} answering on ${this.socket}`, timeoutMs: 10_000, intervalMs: 100 },
      );
    } catch (err) {
      throw this.withLog(err);
    }
  }

  /** Runs a birdc command; returns its output without the "BIRD x.y ready." banner. */
  async birdc(args: string[], timeoutMs = 5000): Promise<string> {
    const r = await this.lab.exec(undefined, ["birdc", "-s", this.socket, ...args], {
      timeoutMs,
      check: true,
    });
    return r.stdout.replace(/^BIRD [^\n]* ready\.\n/, "");
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    const name = this.protocolName(neighbor);
    const out = await this.birdc(["show", "protocols", "all", name]);
    const state =
      /BGP state:\s+(\S+)/.exec(out)?.[1] ?? /^\S+\s+BGP\s+\S+\s+(\S+)/m.exec(out)?.[1] ?? "unknown";
    const result: SessionState = { state, established: state === "Established" };
    // `timeformat protocol "%s"`: the Since column is epoch seconds.
    const since = new RegExp(`^${name}\\s+BGP\\s+\\S+\\s+\\S+\\s+(\\d+)`, "m").exec(out)?.[1];
    if (result.established && since)
      result.uptimeSeconds = Math.max(0, Math.round(Date.now() / 1000) - Number(since));
    return result;
  }

  async receivedRoutes(family?: Family): Promise<ReceivedRoute[]> {
    const tables =
      family === undefined ? ["master4", "master6"] : [family === "ipv4" ? "master4" : "master6"];
    const peers = new Map(this.options.neighbors.map((n, i) => [`n${i}`, n.address]));
    const routes: ReceivedRoute[] = [];
    for (const t of tables) {
      const out = await this.birdc(["show", "route", "all", "table", t]);
      for (const r of parseBirdRoutes(out)) {
        if (r.type !== "BGP") continue;
        const peer = peers.get(r.protocol);
        if (peer !== undefined) r.route.peer = peer;
        routes.push(r.route);
      }
    }
    return routes;
  }

  protected async applyAnnounce(_route: OriginateRoute): Promise<void> {
    await this.reconfigure();
  }

  protected async applyWithdraw(_prefix: string): Promise<void> {
    await this.reconfigure();
  }

  async reconfigure(): Promise<void> {
    this.writeConfig();
    const out = await this.birdc(["configure"], 10_000);
    if (!/Reconfigur/.test(out)) {
      throw new Error(`bird in ${this.ns}: configure failed: ${out.trim()}`);
    }
  }

  writeConfig(): void {
    writeFileSync(this.configFile, birdConfig(this.options, [...this.routes.values()], this.dir));
  }
}

export async function start(lab: Lab, ns: string, options: RouterOptions): Promise<BirdRouter> {
  const r = new BirdRouter(lab, ns, options);
  await r.start();
  return r;
}

function q(s: string): string {
  return JSON.stringify(s);
}

function pairs(list: string[] | undefined, n: number, what: string): string[] {
  return (list ?? []).map((c) => {
    const parts = c.split(":");
    if (parts.length !== n || parts.some((p) => !/^\d+$/.test(p))) throw new Error(`bird: bad ${what} ${c}`);
    return `(${parts.join(",")})`;
  });
}

export function birdConfig(options: RouterOptions, routes: OriginateRoute[], dir: string): string {
  const lines: string[] = [];
  const mp = multipathCount(options);
  const kernel = options.kernel ?? true;
  lines.push(
    `router id ${options.routerId};`,
    `log ${q(join(dir, "bird.log"))} all;`,
    `timeformat protocol "%s";`,
    "protocol device { scan time 2; }",
  );
  if (kernel) {
    for (const [name, fam] of [
      ["k4", "ipv4"],
      ["k6", "ipv6"],
    ] as const) {
      lines.push(`protocol kernel ${name} {`, `  ${fam} { import none; export where source = RTS_BGP; };`);
      if (mp > 1) lines.push(`  merge paths on limit ${mp};`);
      lines.push("}");
    }
  }
  for (const fam of ["ipv4", "ipv6"] as const) {
    lines.push(`protocol static s${fam === "ipv4" ? 4 : 6} {`, `  ${fam};`);
    for (const r of routes) {
      if (familyOf(r.prefix) !== fam) continue;
      const sets: string[] = [];
      for (const c of pairs(r.communities, 2, "community")) sets.push(`bgp_community.add(${c});`);
      for (const c of pairs(r.largeCommunities, 3, "large community"))
        sets.push(`bgp_large_community.add(${c});`);
      lines.push(
        `  route ${normalizePrefix(r.prefix)} blackhole${sets.length ? ` { ${sets.join(" ")} }` : ""};`,
      );
    }
    lines.push("}");
    // MED and LOCAL_PREF only go out when set by the export filter (BIRD drops them otherwise).
    lines.push(`filter sbx_export${fam === "ipv4" ? 4 : 6} {`);
    if (!options.transit) lines.push("  if source != RTS_STATIC then reject;");
    for (const r of routes) {
      if (familyOf(r.prefix) !== fam || (r.med === undefined && r.localPref === undefined)) continue;
      const sets: string[] = [];
      if (r.med !== undefined) sets.push(`bgp_med = ${r.med};`);
      if (r.localPref !== undefined) sets.push(`bgp_local_pref = ${r.localPref};`);
      lines.push(`  if net = ${normalizePrefix(r.prefix)} then { ${sets.join(" ")} }`);
    }
    lines.push("  accept;", "}");
  }
  options.neighbors.forEach((n, i) => {
    const local = [
      n.localAddress ?? "",
      options.listenPort ? `port ${options.listenPort}` : "",
      `as ${options.asn}`,
    ]
      .filter(Boolean)
      .join(" ");
    lines.push(
      `protocol bgp n${i} {`,
      ...(n.description ? [`  description ${q(n.description)};`] : []),
      `  local ${local};`,
      `  neighbor ${n.address}${n.port ? ` port ${n.port}` : ""} as ${n.peerAs};`,
      `  hold time ${holdTimeOf(n)};`,
      `  keepalive time ${keepaliveOf(n)};`,
      `  connect retry time ${n.connectRetry ?? 1};`,
      "  connect delay time 1;",
      // Default 60..300 s before BIRD retries after an error: far too slow for tests.
      "  error wait time 1, 4;",
      `  passive ${n.passive ? "on" : "off"};`,
      `  graceful restart ${n.gracefulRestart ? "on" : "off"};`,
    );
    if (n.gracefulRestart) lines.push(`  graceful restart time ${n.restartTime ?? 30};`);
    if (n.multihop !== undefined) lines.push(`  multihop ${n.multihop};`);
    if (n.password !== undefined) lines.push(`  password ${q(n.password)};`);
    for (const fam of neighborFamilies(n)) {
      lines.push(`  ${fam} { import all; export filter sbx_export${fam === "ipv4" ? 4 : 6}; };`);
    }
    lines.push("}");
  });
  return `${lines.join("\n")}\n`;
}

interface BirdRouteEntry {
  protocol: string;
  type: string;
  route: ReceivedRoute;
}

/**
 * Parses `birdc show route all` text. Shape (BIRD 2.0):
 *
 *   Table master4:
 *   10.98.0.1/32         unicast [n1 1700000000] * (100) [AS65002i]
 *   \tvia 10.0.0.2 on e0
 *   \tType: BGP univ
 *   \tBGP.origin: IGP
 *   \tBGP.as_path: 65002
 *   \tBGP.next_hop: 10.0.0.2
 *   \tBGP.community: (65002,1) (65002,2)
 *   \tBGP.large_community: (65002, 3, 4)
 *   \tBGP.ext_community: (rt, 65002, 9)
 *                        unicast [n2 1700000000] (100) [AS65003i]     <- another path, same prefix
 *
 * A prefix line or an indented (spaces) route line starts a path; tab-indented lines belong to
 * the current path.
 */
export function parseBirdRoutes(text: string): BirdRouteEntry[] {
  const entries: BirdRouteEntry[] = [];
  let prefix = "";
  let cur: BirdRouteEntry | undefined;
  let lastAttr: [string, string] | undefined;
  const head = /^(\S+)?\s+(\w+) \[(\S+)[^\]]*\](\s\*)?/;
  for (const line of text.split("\n")) {
    if (line.trim() === "" || /^Table \S+:/.test(line)) continue;
    if (line.startsWith("\t")) {
      if (!cur) continue;
      const body = line.slice(1);
      if (body.startsWith("\t") && lastAttr) {
        // a long attribute continued on the next line
        lastAttr[1] += ` ${body.trim()}`;
        setBirdAttribute(cur.route, lastAttr[0], lastAttr[1]);
        continue;
      }
      const via = /^via (\S+)/.exec(body);
      if (via?.[1] && !cur.route.nextHops.length) cur.route.nextHops.push(via[1]);
      const type = /^Type: (\S+)/.exec(body);
      if (type?.[1]) cur.type = type[1];
      const attr = /^BGP\.(\w+): ?(.*)$/.exec(body);
      lastAttr = attr ? [attr[1]!, attr[2] ?? ""] : undefined;
      if (lastAttr) setBirdAttribute(cur.route, lastAttr[0], lastAttr[1]);
      continue;
    }
    const m = head.exec(line);
    if (!m) continue;
    if (m[1]) prefix = m[1];
    cur = { protocol: m[3] ?? "", type: "", route: emptyRoute(prefix) };
    cur.route.best = Boolean(m[4]);
    entries.push(cur);
  }
  return entries;
}

function setBirdAttribute(r: ReceivedRoute, name: string, value: string): void {
  switch (name) {
    case "origin":
      r.origin = normalizeOrigin(value.trim());
      break;
    case "as_path":
      r.asPath = parseAsPathText(value);
      break;
    case "next_hop":
      // The attribute wins over the resolved `via` (IPv6: global then link-local).
      r.nextHops = value.trim().split(/\s+/).filter(Boolean);
      break;
    case "med":
      r.med = Number(value);
      break;
    case "local_pref":
      r.localPref = Number(value);
      break;
    case "community":
      r.communities = [...value.matchAll(/\((\d+),\s*(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}`);
      break;
    case "large_community":
      r.largeCommunities = [...value.matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map(
        (m) => `${m[1]}:${m[2]}:${m[3]}`,
      );
      break;
    case "ext_community":
      r.extendedCommunities = value.match(/\([^)]*\)/g) ?? [];
      break;
  }
}
