// GoBGP driver: gobgpd with a TOML config in the router's directory and its gRPC API on the
// namespace's own loopback (127.0.0.1:50051 is private to each namespace), queried with the
// `gobgp` CLI and its `-j` JSON output. Originated routes go in with `gobgp global rib add`
// after start (again after every restart). gobgpd does not program the kernel (that needs
// zebra), so kernelRoutes() shows only what something else installed.
//
// Unless `transit`, a global export policy lets only locally originated paths (route-type
// local) out, so gobgpd behaves as an originator rather than re-advertising what it learns.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "../netns.ts";
import { waitFor } from "../wait.ts";
import { BaseRouter, emptyRoute, normalizeOrigin } from "./base.ts";
import type { Family, OriginateRoute, ReceivedRoute, RouterOptions, SessionState } from "./types.ts";
import {
  communityFromNumber,
  familyOf,
  holdTimeOf,
  keepaliveOf,
  multipathCount,
  neighborFamilies,
  normalizePrefix,
} from "./types.ts";

const API_PORT = 50051;
const SESSION_STATES = ["unknown", "Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"];

export class GobgpRouter extends BaseRouter {
  readonly kind = "gobgp" as const;
  readonly configFile: string;

  constructor(lab: Lab, ns: string, options: RouterOptions) {
    super(lab, ns, options, "gobgp");
    this.configFile = join(this.dir, "gobgpd.toml");
  }

  async start(): Promise<void> {
    writeFileSync(this.configFile, gobgpConfig(this.options));
    const d = this.lab.spawn(
      this.ns,
      [
        ...["gobgpd", "-f", this.configFile, "-t", "toml", "--api-hosts", `127.0.0.1:${API_PORT}`],
        ...["--pprof-disable", "-l", "info"],
      ],
      { logFile: join(this.dir, "gobgpd.log") },
    );
    this.track(d, 0);
    try {
      await waitFor(
        async () => {
          this.assertRunning();
          return (await this.lab.exec(this.ns, this.cli(["global"]), { timeoutMs: 3000 })).code === 0;
        },
        { what: `gobgpd in ${this.ns} answering its API`, timeoutMs: 10_000, intervalMs: 100 },
      );
      for (const r of this.routes.values()) await this.applyAnnounce(r);
    } catch (err) {
      throw this.withLog(err);
    }
  }

  cli(args: string[]): string[] {
    return ["gobgp", "-u", "127.0.0.1", "-p", String(API_PORT), ...args];
  }

  /** Runs a `gobgp` CLI command inside the namespace; returns stdout. */
  async gobgp(args: string[], timeoutMs = 5000): Promise<string> {
    return this.lab.run(this.ns, this.cli(args), { timeoutMs });
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    const j = JSON.parse(await this.gobgp(["neighbor", neighbor, "-j"])) as GobgpNeighborJson;
    const raw = j.state?.session_state;
    const state =
      typeof raw === "number"
        ? (SESSION_STATES[raw] ?? String(raw))
        : (SESSION_STATES.find((s) => s.toLowerCase() === String(raw ?? "").toLowerCase()) ?? String(raw));
    const result: SessionState = { state, established: state === "Established" };
    const up = j.timers?.state?.uptime?.seconds;
    if (result.established && up) result.uptimeSeconds = Math.max(0, Math.round(Date.now() / 1000) - up);
    return result;
  }

  async receivedRoutes(family?: Family): Promise<ReceivedRoute[]> {
    const fams: Family[] = family ? [family] : ["ipv4", "ipv6"];
    const out: ReceivedRoute[] = [];
    for (const f of fams) {
      const text = await this.gobgp(["global", "rib", "-a", f, "-j"]);
      out.push(...parseGobgpRib(JSON.parse(text.trim() || "{}") as Record<string, GobgpPathJson[]>));
    }
    return out;
  }

  protected async applyAnnounce(r: OriginateRoute): Promise<void> {
    const args = [
      "global",
      "rib",
      "-a",
      familyOf(r.prefix),
      "add",
      normalizePrefix(r.prefix),
      "origin",
      "igp",
    ];
    if (r.nextHop !== undefined) args.push("nexthop", r.nextHop);
    if (r.med !== undefined) args.push("med", String(r.med));
    if (r.localPref !== undefined) args.push("local-pref", String(r.localPref));
    if (r.communities?.length) args.push("community", r.communities.join(","));
    if (r.largeCommunities?.length) args.push("large-community", r.largeCommunities.join(","));
    await this.gobgp(args);
  }

  protected async applyWithdraw(prefix: string): Promise<void> {
    await this.gobgp(["global", "rib", "-a", familyOf(prefix), "del", prefix]);
  }
}

export async function start(lab: Lab, ns: string, options: RouterOptions): Promise<GobgpRouter> {
  const r = new GobgpRouter(lab, ns, options);
  await r.start();
  return r;
}

function q(s: string): string {
  return JSON.stringify(s);
}

export function gobgpConfig(o: RouterOptions): string {
  const l: string[] = [];
  l.push("[global.config]", `  as = ${o.asn}`, `  router-id = ${q(o.routerId)}`);
  l.push(`  port = ${o.listenPort === 0 ? -1 : (o.listenPort ?? 179)}`);
  if (multipathCount(o) > 1) l.push("[global.use-multiple-paths.config]", "  enabled = true");
  if (!o.transit) {
    l.push("[global.apply-policy.config]", `  export-policy-list = ["sbx-local-only"]`);
    l.push(`  default-export-policy = "reject-route"`);
  }
  for (const n of o.neighbors) {
    l.push("[[neighbors]]", "  [neighbors.config]", `    neighbor-address = ${q(n.address)}`);
    l.push(`    peer-as = ${n.peerAs}`);
    if (n.description) l.push(`    description = ${q(n.description)}`);
    if (n.password !== undefined) l.push(`    auth-password = ${q(n.password)}`);
    l.push("  [neighbors.timers.config]", `    connect-retry = ${n.connectRetry ?? 1}`);
    l.push("    idle-hold-time-after-reset = 1");
    l.push(`    hold-time = ${holdTimeOf(n)}`, `    keepalive-interval = ${keepaliveOf(n)}`);
    l.push("  [neighbors.transport.config]");
    if (n.localAddress !== undefined) l.push(`    local-address = ${q(n.localAddress)}`);
    if (n.passive) l.push("    passive-mode = true");
    if (n.port !== undefined) l.push(`    remote-port = ${n.port}`);
    if (n.multihop !== undefined) {
      l.push("  [neighbors.ebgp-multihop.config]", "    enabled = true", `    multihop-ttl = ${n.multihop}`);
    }
    if (n.gracefulRestart) {
      l.push(
        "  [neighbors.graceful-restart.config]",
        "    enabled = true",
        `    restart-time = ${n.restartTime ?? 30}`,
      );
    }
    for (const f of neighborFamilies(n)) {
      l.push(
        "  [[neighbors.afi-safis]]",
        "    [neighbors.afi-safis.config]",
        `      afi-safi-name = "${f}-unicast"`,
      );
      if (n.gracefulRestart)
        l.push("    [neighbors.afi-safis.mp-graceful-restart.config]", "      enabled = true");
    }
  }
  if (!o.transit) {
    l.push("[[policy-definitions]]", `  name = "sbx-local-only"`, "  [[policy-definitions.statements]]");
    l.push(`    name = "local"`, "    [policy-definitions.statements.conditions.bgp-conditions]");
    l.push(`      route-type = "local"`);
    l.push("    [policy-definitions.statements.actions]", `      route-disposition = "accept-route"`);
  }
  return `${l.join("\n")}\n`;
}

interface GobgpNeighborJson {
  state?: { session_state?: number | string };
  timers?: { state?: { uptime?: { seconds?: number } } };
}

interface GobgpAttrJson {
  type: number;
  value?: unknown;
  nexthop?: string;
  metric?: number;
  as_paths?: { asns?: number[] }[];
  communities?: number[];
}

export interface GobgpPathJson {
  nlri?: { prefix?: string };
  best?: boolean;
  attrs?: GobgpAttrJson[];
  "neighbor-ip"?: string;
  "source-id"?: string;
  stale?: boolean;
}

const EXT_SUBTYPES: Record<number, string> = { 2: "RT", 3: "SoO" };

/** Paths learned from peers in `gobgp global rib -a <afi> -j` (GoBGP 3.x attribute JSON). */
export function parseGobgpRib(rib: Record<string, GobgpPathJson[]>): ReceivedRoute[] {
  const out: ReceivedRoute[] = [];
  for (const [prefix, paths] of Object.entries(rib)) {
    for (const p of paths) {
      const peer = p["neighbor-ip"];
      if (peer === undefined || peer === "" || peer === "<nil>") continue; // locally originated
      const r = emptyRoute(p.nlri?.prefix ?? prefix);
      r.peer = peer;
      r.best = Boolean(p.best);
      if (p.stale) r.stale = true;
      for (const a of p.attrs ?? []) {
        switch (a.type) {
          case 1:
            r.origin = normalizeOrigin(a.value as number);
            break;
          case 2:
            r.asPath = (a.as_paths ?? []).flatMap((s) => s.asns ?? []);
            break;
          case 3:
            if (a.nexthop) r.nextHops = [a.nexthop];
            break;
          case 4:
            if (a.metric !== undefined) r.med = a.metric;
            break;
          case 5:
            r.localPref = Number(a.value);
            break;
          case 8:
            r.communities = (a.communities ?? []).map(communityFromNumber);
            break;
          case 14:
            if (a.nexthop) r.nextHops = a.nexthop.split(/[\s,]+/).filter(Boolean);
            break;
          case 16:
            r.extendedCommunities = (
              (a.value as { subtype?: number; value?: string }[] | undefined) ?? []
            ).map((e) => `${EXT_SUBTYPES[e.subtype ?? -1] ?? `subtype${e.subtype}`}:${e.value}`);
            break;
          case 32:
            r.largeCommunities = (
              (a.value as { ASN?: number; LocalData1?: number; LocalData2?: number }[] | undefined) ?? []
            ).map((c) => `${c.ASN}:${c.LocalData1}:${c.LocalData2}`);
            break;
        }
      }
      out.push(r);
    }
  }
  return out;
}
