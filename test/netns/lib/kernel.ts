// The kernel's view inside a namespace: routes and next hops (`ip -j route`), neighbours.

import type { Lab } from "./netns.ts";
import type { KernelNextHop, KernelRoute } from "./routers/types.ts";
import { normalizePrefix } from "./routers/types.ts";

interface IpRouteJson {
  dst?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  nhid?: number;
  weight?: number;
  via?: { family?: string; host?: string };
  nexthops?: IpRouteJson[];
}

interface IpNexthopJson {
  id?: number;
  gateway?: string;
  dev?: string;
  group?: { id: number; weight?: number }[];
}

function hopOf(r: IpRouteJson): KernelNextHop {
  const hop: KernelNextHop = {};
  const gw = r.gateway ?? r.via?.host;
  if (gw !== undefined) hop.gateway = gw;
  if (r.dev !== undefined) hop.dev = r.dev;
  if (r.weight !== undefined) hop.weight = r.weight;
  return hop;
}

/**
 * Routes for exactly `prefix` in the namespace's main table, each with its next hops. A
 * route that points at a nexthop group object (FRR's zebra uses them) is resolved through
 * `ip nexthop`, so ECMP shows up as several next hops either way.
 */
export async function kernelRoutes(lab: Lab, ns: string, prefix: string): Promise<KernelRoute[]> {
  const p = normalizePrefix(prefix);
  const v = p.includes(":") ? "-6" : "-4";
  const out = await lab.run(ns, ["ip", v, "-j", "route", "show", "exact", p], { timeoutMs: 5000 });
  const routes = JSON.parse(out.trim() || "[]") as IpRouteJson[];
  const result: KernelRoute[] = [];
  for (const r of routes) {
    let hops: KernelNextHop[];
    if (r.nexthops && r.nexthops.length > 0) hops = r.nexthops.map(hopOf);
    else if (r.gateway !== undefined || r.via !== undefined || r.dev !== undefined) hops = [hopOf(r)];
    else hops = [];
    if (hops.length === 0 && r.nhid !== undefined) hops = await resolveNexthopObject(lab, ns, r.nhid);
    const route: KernelRoute = { prefix: p, nextHops: hops };
    if (r.protocol !== undefined) route.protocol = r.protocol;
    result.push(route);
  }
  return result;
}

async function resolveNexthopObject(lab: Lab, ns: string, id: number): Promise<KernelNextHop[]> {
  const out = await lab.run(ns, ["ip", "-j", "nexthop", "show", "id", String(id)], { timeoutMs: 5000 });
  const objs = JSON.parse(out.trim() || "[]") as IpNexthopJson[];
  const hops: KernelNextHop[] = [];
  for (const o of objs) {
    if (o.group) {
      for (const g of o.group) {
        const sub = await resolveNexthopObject(lab, ns, g.id);
        for (const h of sub) hops.push(g.weight !== undefined ? { ...h, weight: g.weight } : h);
      }
    } else {
      const hop: KernelNextHop = {};
      if (o.gateway !== undefined) hop.gateway = o.gateway;
      if (o.dev !== undefined) hop.dev = o.dev;
      hops.push(hop);
    }
  }
  return hops;
}

/** Next hops of the kernel route for exactly `prefix` (all routes for it merged; [] if none). */
export async function kernelNextHops(lab: Lab, ns: string, prefix: string): Promise<KernelNextHop[]> {
  return (await kernelRoutes(lab, ns, prefix)).flatMap((r) => r.nextHops);
}

export interface Neighbour {
  dst: string;
  dev?: string;
  lladdr?: string;
  state: string[];
}

/** The namespace's neighbour table (ARP and NDP), e.g. to check which MAC a client learned. */
export async function neighbours(lab: Lab, ns: string, dev?: string): Promise<Neighbour[]> {
  const argv = ["ip", "-j", "neigh", "show"];
  if (dev) argv.push("dev", dev);
  const out = await lab.run(ns, argv, { timeoutMs: 5000 });
  return JSON.parse(out.trim() || "[]") as Neighbour[];
}

/** The MAC address of an interface. */
export async function macOf(lab: Lab, ns: string, ifname: string): Promise<string> {
  const out = await lab.run(ns, ["ip", "-j", "link", "show", "dev", ifname], { timeoutMs: 5000 });
  const [link] = JSON.parse(out) as { address?: string }[];
  if (!link?.address) throw new Error(`no MAC address for ${ifname} in ${ns}`);
  return link.address;
}
