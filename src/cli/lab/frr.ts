/**
 * FRR routers for the lab: zebra and bgpd run directly in a namespace (no watchfrr, no
 * /etc/frr, never the system service), config, sockets and logs in the router's own folder,
 * queried with `vtysh --vty_socket DIR`. zebra programs the namespace's kernel table, so
 * `ip route` shows the ECMP next hops and their weights. (Modelled on
 * test/netns/lib/routers/frr.ts.)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Daemon, type Netns, waitFor } from "./netns.ts";

export const FRR_DIR = "/usr/lib/frr";

export interface Neighbor {
  readonly address: string;
  readonly asn: number;
  readonly description: string;
  /** Apply the TO-SPINE route map outbound (ToR → spine: cumulative link bandwidth). */
  readonly toSpine?: boolean;
}

export interface RouterSpec {
  readonly name: string;
  readonly asn: number;
  readonly routerId: string;
  readonly neighbors: readonly Neighbor[];
}

/** bgpd's config: eBGP multipath over every neighbor, routes passed on (transit). */
export function bgpdConfig(r: RouterSpec): string {
  const l = [`hostname ${r.name}`, "log timestamp precision 3", "!"];
  if (r.neighbors.some((n) => n.toSpine)) {
    // draft-ietf-bess-ebgp-dmz §4: the ToR tells the spine the sum of its multipaths' bandwidth.
    l.push("route-map TO-SPINE permit 10", " set extcommunity bandwidth cumulative", "exit");
  }
  l.push(`router bgp ${r.asn}`, ` bgp router-id ${r.routerId}`);
  l.push(" no bgp ebgp-requires-policy", " no bgp network import-check", " no bgp default ipv4-unicast");
  l.push(" bgp bestpath as-path multipath-relax");
  for (const n of r.neighbors) {
    l.push(` neighbor ${n.address} remote-as ${n.asn}`);
    l.push(` neighbor ${n.address} description ${n.description}`);
    l.push(` neighbor ${n.address} timers 3 9`, ` neighbor ${n.address} timers connect 1`);
  }
  l.push(" address-family ipv4 unicast", "  maximum-paths 16");
  for (const n of r.neighbors) {
    l.push(`  neighbor ${n.address} activate`);
    if (n.toSpine) l.push(`  neighbor ${n.address} route-map TO-SPINE out`);
  }
  l.push(" exit-address-family", "exit", "");
  return l.join("\n");
}

export interface Session {
  readonly neighbor: string;
  readonly description: string;
  readonly remoteAs: number;
  readonly state: string;
  readonly prefixesReceived: number;
}

export interface NextHop {
  readonly gateway: string;
  readonly dev: string;
  /** The kernel's weight (1 when it shows none: plain ECMP). */
  readonly weight: number;
}

export class FrrRouter {
  readonly dir: string;
  readonly lab: Netns;
  readonly ns: string;
  readonly spec: RouterSpec;
  /** zebra, bgpd. */
  readonly daemons: Daemon[] = [];
  constructor(lab: Netns, ns: string, spec: RouterSpec) {
    this.lab = lab;
    this.ns = ns;
    this.spec = spec;
    this.dir = lab.path(`frr-${spec.name}`);
  }

  async start(): Promise<void> {
    const d = this.dir;
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "zebra.conf"), `hostname ${this.spec.name}\n`);
    writeFileSync(join(d, "bgpd.conf"), bgpdConfig(this.spec));
    const zserv = join(d, "zserv.api");
    const zebra = this.lab.spawn(
      this.ns,
      [
        ...[join(FRR_DIR, "zebra"), "-u", "root", "-g", "frrvty", "-P", "0", "--vty_socket", d],
        ...["-f", join(d, "zebra.conf"), "-i", join(d, "zebra.pid"), "-z", zserv],
        ...["--log", `file:${join(d, "zebra.log")}`],
      ],
      `${this.spec.name}.zebra`,
      "frrvty",
    );
    this.daemons.push(zebra);
    await waitFor(
      () => {
        if (!zebra.running) throw new Error(`zebra exited: ${zebra.logTail(5)}`);
        return existsSync(zserv);
      },
      { what: `${this.spec.name}'s zebra to open its zserv socket`, timeoutMs: 15_000, intervalMs: 100 },
    );
    const bgpd = this.lab.spawn(
      this.ns,
      [
        ...[join(FRR_DIR, "bgpd"), "-S", "-P", "0", "--vty_socket", d, "-z", zserv],
        ...["-f", join(d, "bgpd.conf"), "-i", join(d, "bgpd.pid"), "--log", `file:${join(d, "bgpd.log")}`],
      ],
      `${this.spec.name}.bgpd`,
    );
    this.daemons.push(bgpd);
    await waitFor(
      async () => {
        if (!bgpd.running) throw new Error(`bgpd exited: ${bgpd.logTail(5)}`);
        return (await this.vtysh("show bgp summary json")).includes("{");
      },
      { what: `${this.spec.name}'s bgpd to answer vtysh`, timeoutMs: 15_000, intervalMs: 200 },
    );
    const rejected = readFileSync(join(d, "bgpd.log"), "utf8")
      .split("\n")
      .filter((line) => /Config Failed on config line|Unknown command|ambiguous command/i.test(line));
    if (rejected.length > 0) throw new Error(`FRR on ${this.spec.name} rejected:\n${rejected.join("\n")}`);
  }

  vtysh(command: string): Promise<string> {
    return this.lab.run(
      undefined,
      ["vtysh", "--vty_socket", this.dir, "-H", join(this.dir, "vtysh.history"), "-d", "bgpd", "-c", command],
      5000,
    );
  }

  async sessions(): Promise<Session[]> {
    const j = JSON.parse(await this.vtysh("show bgp neighbors json")) as Record<
      string,
      {
        nbrDesc?: string;
        remoteAs?: number;
        bgpState?: string;
        addressFamilyInfo?: Record<string, { acceptedPrefixCounter?: number }>;
      }
    >;
    return Object.entries(j).map(([neighbor, n]) => ({
      neighbor,
      description: n.nbrDesc ?? "",
      remoteAs: n.remoteAs ?? 0,
      state: n.bgpState ?? "unknown",
      prefixesReceived: n.addressFamilyInfo?.["ipv4Unicast"]?.acceptedPrefixCounter ?? 0,
    }));
  }

  /** The kernel's next hops for exactly `prefix` (FRR installs nexthop objects: resolved). */
  kernelNextHops(prefix: string): Promise<NextHop[]> {
    return kernelNextHops(this.lab, this.ns, prefix);
  }
}

interface IpRoute {
  gateway?: string;
  dev?: string;
  weight?: number;
  nhid?: number;
  nexthops?: IpRoute[];
}
interface IpNexthop {
  gateway?: string;
  dev?: string;
  group?: { id: number; weight?: number }[];
}

export async function kernelNextHops(lab: Netns, ns: string, prefix: string): Promise<NextHop[]> {
  const routes = JSON.parse(
    (await lab.run(ns, ["ip", "-4", "-j", "route", "show", "exact", prefix])).trim() || "[]",
  ) as IpRoute[];
  const hop = (r: IpRoute, weight?: number): NextHop => ({
    gateway: r.gateway ?? "-",
    dev: r.dev ?? "-",
    weight: weight ?? r.weight ?? 1,
  });
  const out: NextHop[] = [];
  for (const r of routes) {
    if (r.nexthops?.length) out.push(...r.nexthops.map((h) => hop(h)));
    else if (r.gateway !== undefined) out.push(hop(r));
    else if (r.nhid !== undefined) {
      const [obj] = JSON.parse(
        (await lab.run(ns, ["ip", "-j", "nexthop", "show", "id", String(r.nhid)])).trim() || "[]",
      ) as IpNexthop[];
      if (obj?.group) {
        for (const g of obj.group) {
          const [sub] = JSON.parse(
            (await lab.run(ns, ["ip", "-j", "nexthop", "show", "id", String(g.id)])).trim() || "[]",
          ) as IpNexthop[];
          if (sub) out.push(hop(sub, g.weight));
        }
      } else if (obj) out.push(hop(obj));
    }
  }
  return out.sort((a, b) => (a.gateway < b.gateway ? -1 : a.gateway > b.gateway ? 1 : 0));
}
