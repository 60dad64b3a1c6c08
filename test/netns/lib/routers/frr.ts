// FRR driver: zebra and bgpd run directly (no watchfrr, no /etc/frr, no /var/run/frr) in the
// namespace, with config, pid files, the zserv socket, vty sockets and logs in the router's
// directory, as ../shared/bench/speakers/frr.sh does. Queried with
// `vtysh --vty_socket <dir> -d bgpd -c "… json"`.
//
// zebra refuses to run as a user outside the vty group (frrvty), so it runs as root with real
// and effective gid frrvty (`-u root -g frrvty`); bgpd runs with -S (no privilege change).
// zebra programs the namespace's kernel table, so `ip route` shows the BGP next hops; with
// `kernel: false` bgpd runs alone (-Z) and nothing reaches the kernel.
//
// Originated routes are `network` statements, each with a route map that sets its
// attributes; unless `transit`, an outbound route map lets only locally originated routes
// (empty AS path) out, so the router behaves as an originator, not a transit AS.

import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

const FRR_DIR = process.env["FRR_DIR"] ?? "/usr/lib/frr";

export class FrrRouter extends BaseRouter {
  readonly kind = "frr" as const;
  #routeMapIds = new Map<string, number>();
  #nextRouteMap = 1;

  constructor(lab: Lab, ns: string, options: RouterOptions) {
    super(lab, ns, options, "frr");
  }

  get usesZebra(): boolean {
    return this.options.kernel ?? true;
  }

  async start(): Promise<void> {
    const d = this.dir;
    writeFileSync(join(d, "zebra.conf"), "hostname sbx-zebra\nlog timestamp precision 3\n");
    writeFileSync(join(d, "bgpd.conf"), this.config());
    const zserv = join(d, "zserv.api");
    try {
      if (this.usesZebra) {
        rmSync(zserv, { force: true }); // a socket left by an earlier zebra would look ready
        const zebra = this.lab.spawn(
          this.ns,
          [
            ...[join(FRR_DIR, "zebra"), "-u", "root", "-g", "frrvty", "-P", "0", "--vty_socket", d],
            ...["-f", join(d, "zebra.conf"), "-i", join(d, "zebra.pid"), "-z", zserv],
            ...["--log", `file:${join(d, "zebra.log")}`],
          ],
          { logFile: join(d, "zebra.out"), group: "frrvty" },
        );
        this.track(zebra, 1);
        await waitFor(
          () => {
            if (!zebra.running) throw new Error(`zebra exited: ${zebra.logTail(10)}`);
            return existsSync(zserv);
          },
          { what: `zebra's zserv socket in ${this.ns}`, timeoutMs: 10_000, intervalMs: 50 },
        );
      }
      const bgpdArgv = [join(FRR_DIR, "bgpd"), "-S", "-P", "0", "--vty_socket", d];
      bgpdArgv.push(
        "-f",
        join(d, "bgpd.conf"),
        "-i",
        join(d, "bgpd.pid"),
        "--log",
        `file:${join(d, "bgpd.log")}`,
      );
      bgpdArgv.push(...(this.usesZebra ? ["-z", zserv] : ["-Z"]));
      if (this.options.listenPort !== undefined) bgpdArgv.push("-p", String(this.options.listenPort));
      this.track(this.lab.spawn(this.ns, bgpdArgv, { logFile: join(d, "bgpd.out") }), 0);
      await waitFor(
        async () => {
          this.assertRunning();
          const r = await this.vtysh(["show bgp summary json"], 3000);
          return r.includes("{");
        },
        { what: `bgpd in ${this.ns} answering vtysh`, timeoutMs: 10_000, intervalMs: 100 },
      );
      // bgpd carries on past config lines it rejects; a test must not.
      const rejected = readFileSync(join(d, "bgpd.log"), "utf8")
        .split("\n")
        .filter((line) => /Config Failed on config line|Unknown command|ambiguous command/i.test(line));
      if (rejected.length > 0)
        throw new Error(`frr in ${this.ns} rejected config lines:\n${rejected.join("\n")}`);
    } catch (err) {
      throw this.withLog(err);
    }
  }

  /** Runs vtysh commands against this router's bgpd (or another daemon); returns stdout. */
  async vtysh(commands: string[], timeoutMs = 5000, daemon = "bgpd"): Promise<string> {
    const argv = ["vtysh", "--vty_socket", this.dir, "-H", join(this.dir, "vtysh.history"), "-d", daemon];
    for (const c of commands) argv.push("-c", c);
    const r = await this.lab.exec(undefined, argv, { timeoutMs, check: true });
    return r.stdout;
  }

  async vtyshJson<T>(command: string): Promise<T> {
    const out = await this.vtysh([command]);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw new Error(`frr in ${this.ns}: \`${command}\` did not return JSON: ${out.slice(0, 300)}`);
    }
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    const j = await this.vtyshJson<Record<string, { bgpState?: string; bgpTimerUpMsec?: number }>>(
      `show bgp neighbors ${neighbor} json`,
    );
    const n = j[neighbor];
    if (!n) return { state: "unknown", established: false };
    const state = n.bgpState ?? "unknown";
    const result: SessionState = { state, established: state === "Established" };
    if (result.established && n.bgpTimerUpMsec !== undefined) result.uptimeSeconds = n.bgpTimerUpMsec / 1000;
    return result;
  }

  async receivedRoutes(family?: Family): Promise<ReceivedRoute[]> {
    const fams: Family[] = family ? [family] : ["ipv4", "ipv6"];
    const out: ReceivedRoute[] = [];
    for (const f of fams) {
      const table = await this.vtyshJson<{ routes?: Record<string, unknown> }>(`show bgp ${f} unicast json`);
      // FRR 8.4 has no whole-table `detail json`; the per-prefix JSON carries every attribute.
      for (const prefix of Object.keys(table.routes ?? {})) {
        const detail = await this.vtyshJson<FrrPrefixJson>(`show bgp ${f} unicast ${prefix} json`);
        out.push(...parseFrrPrefix(prefix, detail));
      }
    }
    return out;
  }

  protected async applyAnnounce(route: OriginateRoute): Promise<void> {
    const cmds = ["configure terminal", ...this.routeMapLines(route)];
    cmds.push(`router bgp ${this.options.asn}`, `address-family ${familyOf(route.prefix)} unicast`);
    cmds.push(`network ${normalizePrefix(route.prefix)} route-map ${this.routeMapName(route.prefix)}`);
    await this.vtysh(cmds, 10_000);
  }

  protected async applyWithdraw(prefix: string): Promise<void> {
    const cmds = [
      "configure terminal",
      `router bgp ${this.options.asn}`,
      `address-family ${familyOf(prefix)} unicast`,
    ];
    cmds.push(`no network ${prefix}`);
    await this.vtysh(cmds, 10_000);
  }

  routeMapName(prefix: string): string {
    const p = normalizePrefix(prefix);
    let id = this.#routeMapIds.get(p);
    if (id === undefined) {
      id = this.#nextRouteMap++;
      this.#routeMapIds.set(p, id);
    }
    return `SBX-R${id}`;
  }

  routeMapLines(r: OriginateRoute): string[] {
    const lines = [`route-map ${this.routeMapName(r.prefix)} permit 10`];
    if (r.communities?.length) lines.push(` set community ${r.communities.join(" ")}`);
    if (r.largeCommunities?.length) lines.push(` set large-community ${r.largeCommunities.join(" ")}`);
    if (r.med !== undefined) lines.push(` set metric ${r.med}`);
    if (r.localPref !== undefined) lines.push(` set local-preference ${r.localPref}`);
    if (r.nextHop !== undefined) {
      lines.push(
        familyOf(r.nextHop) === "ipv4"
          ? ` set ip next-hop ${r.nextHop}`
          : ` set ipv6 next-hop global ${r.nextHop}`,
      );
    }
    lines.push("exit");
    return lines;
  }

  config(): string {
    const o = this.options;
    const mp = multipathCount(o);
    const routes = [...this.routes.values()];
    const l: string[] = ["hostname sbx-bgpd", "log timestamp precision 3", "!"];
    for (const r of routes) l.push(...this.routeMapLines(r));
    if (!o.transit) {
      l.push("bgp as-path access-list SBX-LOCAL seq 5 permit ^$");
      l.push("route-map SBX-OUT permit 10", " match as-path SBX-LOCAL", "exit");
    }
    l.push(`router bgp ${o.asn}`, ` bgp router-id ${o.routerId}`);
    l.push(" no bgp ebgp-requires-policy", " no bgp network import-check", " no bgp default ipv4-unicast");
    if (mp > 1) l.push(" bgp bestpath as-path multipath-relax");
    const gr = o.neighbors.some((n) => n.gracefulRestart);
    if (gr) {
      const time = Math.max(...o.neighbors.map((n) => (n.gracefulRestart ? (n.restartTime ?? 30) : 0)));
      l.push(" bgp graceful-restart", ` bgp graceful-restart restart-time ${time}`);
    }
    for (const n of o.neighbors) {
      const a = n.address;
      l.push(` neighbor ${a} remote-as ${n.peerAs}`);
      if (n.description) l.push(` neighbor ${a} description ${n.description}`);
      l.push(` neighbor ${a} timers ${keepaliveOf(n)} ${holdTimeOf(n)}`);
      l.push(` neighbor ${a} timers connect ${n.connectRetry ?? 1}`);
      if (n.passive) l.push(` neighbor ${a} passive`);
      if (n.port !== undefined) l.push(` neighbor ${a} port ${n.port}`);
      if (n.multihop !== undefined) l.push(` neighbor ${a} ebgp-multihop ${n.multihop}`);
      if (n.password !== undefined) l.push(` neighbor ${a} password ${n.password}`);
      if (n.localAddress !== undefined) l.push(` neighbor ${a} update-source ${n.localAddress}`);
      l.push(` neighbor ${a} ${n.gracefulRestart ? "graceful-restart" : "graceful-restart-disable"}`);
    }
    for (const fam of ["ipv4", "ipv6"] as const) {
      const ns = o.neighbors.filter((n) => neighborFamilies(n).includes(fam));
      const own = routes.filter((r) => familyOf(r.prefix) === fam);
      if (ns.length === 0 && own.length === 0) continue;
      l.push(` address-family ${fam} unicast`);
      if (mp > 1) l.push(`  maximum-paths ${mp}`);
      for (const r of own)
        l.push(`  network ${normalizePrefix(r.prefix)} route-map ${this.routeMapName(r.prefix)}`);
      for (const n of ns) {
        l.push(`  neighbor ${n.address} activate`);
        if (!o.transit) l.push(`  neighbor ${n.address} route-map SBX-OUT out`);
      }
      l.push(" exit-address-family");
    }
    l.push("exit", "");
    return l.join("\n");
  }
}

export async function start(lab: Lab, ns: string, options: RouterOptions): Promise<FrrRouter> {
  const r = new FrrRouter(lab, ns, options);
  await r.start();
  return r;
}

interface FrrPathJson {
  aspath?: { string?: string; segments?: { list?: number[] }[] };
  origin?: string;
  med?: number;
  metric?: number;
  locPrf?: number;
  localpref?: number;
  community?: { list?: string[]; string?: string };
  largeCommunity?: { list?: string[]; string?: string };
  extendedCommunity?: { string?: string };
  nexthops?: { ip?: string }[];
  peer?: { peerId?: string };
  bestpath?: { overall?: boolean };
  sourced?: boolean;
  local?: boolean;
  stale?: boolean;
}

export interface FrrPrefixJson {
  prefix?: string;
  paths?: FrrPathJson[];
}

/** Paths learned from peers, from `show bgp <afi> unicast <prefix> json` (FRR 8.x). */
export function parseFrrPrefix(prefix: string, j: FrrPrefixJson): ReceivedRoute[] {
  const routes: ReceivedRoute[] = [];
  for (const p of j.paths ?? []) {
    const peer = p.peer?.peerId;
    if (
      p.sourced ||
      p.local ||
      peer === undefined ||
      peer === "0.0.0.0" ||
      peer === "::" ||
      peer === "(unspec)"
    )
      continue;
    const r = emptyRoute(j.prefix ?? prefix);
    r.peer = peer;
    r.best = Boolean(p.bestpath?.overall);
    if (p.stale) r.stale = true;
    r.origin = normalizeOrigin(p.origin);
    r.asPath = p.aspath?.segments
      ? p.aspath.segments.flatMap((s) => s.list ?? [])
      : parseAsPathText(p.aspath?.string ?? "");
    const med = p.med ?? p.metric;
    if (med !== undefined) r.med = med;
    const lp = p.locPrf ?? p.localpref;
    if (lp !== undefined) r.localPref = lp;
    r.communities = p.community?.list ?? splitWords(p.community?.string);
    r.largeCommunities = p.largeCommunity?.list ?? splitWords(p.largeCommunity?.string);
    r.extendedCommunities = splitWords(p.extendedCommunity?.string);
    r.nextHops = (p.nexthops ?? []).flatMap((h) => (h.ip ? [h.ip] : []));
    routes.push(r);
  }
  return routes;
}

function splitWords(s: string | undefined): string[] {
  return s ? s.split(/\s+/).filter(Boolean) : [];
}
