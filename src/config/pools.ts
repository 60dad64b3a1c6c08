/**
 * `address-pools` and `bgp-communities`: MetalLB v0.12.1 `parseAddressPool` and
 * `parseBGPAdvertisements`, plus the overlap check across every range of every pool.
 */
import type { Node } from "yaml";
import type { IpRange, Prefix } from "../../protocol/ip/index.ts";
import { formatRange, parseAddressEntry, rangesOverlap } from "./addresses.ts";
import { readLinkBandwidth } from "./balance.ts";
import { type Community, formatCommunity, parseCommunity } from "./community.ts";
import { readInterfaces } from "./interfaces.ts";
import { indexPath, keyPath, quote } from "./issues.ts";
import type { Fields, Reader } from "./reader.ts";
import { closest } from "./suggest.ts";
import type { AddressPool, BgpAdvertisement, PoolProtocol } from "./types.ts";

export const poolKeys = [
  "name",
  // signalbox addition: where a layer2 pool is answered (interfaces.ts)
  "interfaces",
  "protocol",
  "addresses",
  "auto-assign",
  "avoid-buggy-ips",
  "bgp-advertisements",
  // signalbox addition (README.md "rack-balance"):
  "link-bandwidth",
] as const;
export const advertisementKeys = [
  "aggregation-length",
  "aggregation-length-v6",
  "localpref",
  "communities",
] as const;

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface Alias {
  readonly value: Community | undefined;
  readonly path: string;
  readonly node: Node;
  readonly problem: string | undefined;
}

/** `bgp-communities`: name → literal. Invalid values are reported once we know whether they are used. */
export function readCommunityAliases(r: Reader, top: Fields): Map<string, Alias> {
  const out = new Map<string, Alias>();
  for (const e of r.stringMap(top, "bgp-communities")) {
    const c = parseCommunity(e.value);
    out.set(e.key, {
      value: c.ok ? c.value : undefined,
      path: e.path,
      node: e.valueNode,
      problem: c.ok ? undefined : `${quote(e.value)} is not a community: ${c.reason}`,
    });
  }
  return out;
}

/** Where each address entry came from, for overlap messages. */
interface Entry {
  readonly pool: string;
  readonly poolIndex: number;
  readonly path: string;
  readonly node: Node;
  readonly range: IpRange;
}

export function readPools(
  r: Reader,
  items: readonly (Node | null)[],
  path: string,
  where: Node,
  aliases: ReadonlyMap<string, Alias>,
  usedAliases: Set<string>,
): AddressPool[] {
  const out: AddressPool[] = [];
  const names = new Map<string, number>();
  const entries: Entry[] = [];
  items.forEach((item, i) => {
    const p = indexPath(path, i);
    if (item === null) {
      r.error(p, "must be a mapping, not empty", where);
      return;
    }
    const f = r.object(item, p, poolKeys);
    if (f === undefined) return;
    const before = r.errors.length;
    const field = (k: string) => f.byKey.get(k);
    for (const k of ["name", "protocol", "addresses"]) r.require(f, k);

    const name = r.string(f, "name");
    if (name !== undefined) {
      const np = keyPath(p, "name");
      const first = names.get(name);
      if (name === "") r.error(np, "must not be empty", field("name")?.value);
      else if (first !== undefined)
        r.error(
          np,
          `duplicate pool name ${quote(name)} (also address-pools[${first}])`,
          field("name")?.value,
        );
      else {
        names.set(name, i);
        if (name.length > 63 || !dnsLabel.test(name))
          r.warn(
            np,
            `${quote(name)} is not a DNS label (lower-case letters, digits and '-', at most 63): accepted as MetalLB's ConfigMap did, but MetalLB's IPAddressPool objects need such names`,
            field("name")?.value,
          );
      }
    }

    let protocol: PoolProtocol | undefined;
    const protoText = r.string(f, "protocol");
    if (protoText !== undefined) {
      if (protoText === "bgp" || protoText === "layer2") protocol = protoText;
      else {
        const hint = closest(protoText, ["bgp", "layer2"]);
        r.error(
          keyPath(p, "protocol"),
          `must be bgp or layer2, not ${quote(protoText)}${hint === undefined ? "" : ` (did you mean ${JSON.stringify(hint)}?)`}`,
          field("protocol")?.value,
        );
      }
    }

    const ranges: IpRange[] = [];
    const prefixes: Prefix[] = [];
    /** Per entry: its family and shortest prefix length, for the aggregation-length rule. */
    const shortest: { family: 4 | 6; length: number; text: string; path: string }[] = [];
    const addrs = r.list(f, "addresses");
    if (addrs !== undefined && addrs.items.length === 0)
      r.error(addrs.field.path, "must list at least one CIDR or a-b range", addrs.field.value);
    addrs?.items.forEach((a, j) => {
      const ap = indexPath(addrs.field.path, j);
      const text = r.itemString(a, ap, addrs.field.value!);
      if (text === undefined) return;
      const e = parseAddressEntry(text);
      if (!e.ok) {
        r.error(ap, e.message, a);
        return;
      }
      if (e.warning !== undefined) r.warn(ap, e.warning, a);
      ranges.push(e.range);
      prefixes.push(...e.prefixes);
      shortest.push({
        family: e.range.first.family,
        length: Math.min(...e.prefixes.map((x) => x.length)),
        text,
        path: ap,
      });
      entries.push({ pool: name ?? `#${i}`, poolIndex: i, path: ap, node: a!, range: e.range });
    });

    const autoAssign = r.bool(f, "auto-assign") ?? true;
    const interfaces = readInterfaces(r, f, protocol);
    const avoidBuggyIps = r.bool(f, "avoid-buggy-ips") ?? false;

    let bgpAdvertisements: BgpAdvertisement[] = [];
    const ads = r.list(f, "bgp-advertisements");
    if (protocol === "layer2" && ads !== undefined && ads.items.length > 0) {
      r.error(ads.field.path, "is only for bgp pools, and this pool is layer2", ads.field.key);
    } else if (protocol === "bgp") {
      bgpAdvertisements = readAdvertisements(r, ads, shortest, aliases, usedAliases);
    }

    const linkBandwidth = readLinkBandwidth(r, f, protocol);

    if (r.errors.length !== before || name === undefined || protocol === undefined) return;
    out.push({
      name,
      protocol,
      ranges,
      prefixes,
      autoAssign,
      avoidBuggyIps,
      bgpAdvertisements,
      linkBandwidth,
      interfaces,
    });
  });
  checkOverlaps(r, entries);
  return out;
}

function readAdvertisements(
  r: Reader,
  ads: { field: { path: string; value: Node | null }; items: (Node | null)[] } | undefined,
  shortest: readonly { family: 4 | 6; length: number; text: string; path: string }[],
  aliases: ReadonlyMap<string, Alias>,
  usedAliases: Set<string>,
): BgpAdvertisement[] {
  // MetalLB: no advertisements means one with the defaults.
  const defaultAd: BgpAdvertisement = {
    aggregationLength: 32,
    aggregationLengthV6: 128,
    localPref: 0,
    communities: [],
  };
  if (ads === undefined || ads.items.length === 0) return [defaultAd];
  const out: BgpAdvertisement[] = [];
  const rawSeen = new Map<string, number>();
  ads.items.forEach((item, i) => {
    const p = indexPath(ads.field.path, i);
    if (item === null) {
      // An empty entry is the default advertisement (every field unset).
      out.push(defaultAd);
      return;
    }
    const f = r.object(item, p, advertisementKeys);
    if (f === undefined) return;
    const before = r.errors.length;
    const aggregationLength = r.int(f, "aggregation-length", 0, 32) ?? 32;
    const aggregationLengthV6 = r.int(f, "aggregation-length-v6", 0, 128) ?? 128;
    // MetalLB: an aggregate must not be shorter than any prefix of the pool, or the route
    // would cover addresses outside it. A range counts as its summarised CIDRs.
    for (const s of shortest) {
      const [agg, key] =
        s.family === 4
          ? [aggregationLength, "aggregation-length"]
          : [aggregationLengthV6, "aggregation-length-v6"];
      if (agg < s.length && r.errors.length === before) {
        r.error(
          keyPath(p, key),
          `${agg} is shorter than /${s.length}, the shortest prefix of ${s.text} (${s.path}): an aggregate must not cover addresses outside the pool`,
          f.byKey.get(key)?.value ?? item,
        );
      }
    }
    const localPref = r.int(f, "localpref", 0, 4294967295) ?? 0;
    const communities: Community[] = [];
    const cs = r.list(f, "communities");
    const rawTexts: string[] = [];
    cs?.items.forEach((c, j) => {
      const cp = indexPath(cs.field.path, j);
      const text = r.itemString(c, cp, cs.field.value!);
      if (text === undefined) return;
      if (rawTexts.includes(text)) {
        r.error(cp, `duplicate community ${quote(text)}`, c);
        return;
      }
      rawTexts.push(text);
      const alias = aliases.get(text);
      if (alias !== undefined) {
        usedAliases.add(text);
        if (alias.value === undefined) {
          r.error(cp, `community alias ${quote(text)} is invalid (see ${alias.path})`, c);
          return;
        }
        if (communities.some((x) => formatCommunity(x) === formatCommunity(alias.value!)))
          r.warn(cp, `${quote(text)} is ${formatCommunity(alias.value)}, already listed`, c);
        communities.push(alias.value);
        return;
      }
      const parsed = parseCommunity(text);
      if (!parsed.ok) {
        const hint = closest(text, [...aliases.keys()]);
        const looksLiteral = /^[\d:]+$|^large:/.test(text);
        const why = looksLiteral
          ? `${quote(text)} is not a community: ${parsed.reason}`
          : `${quote(text)} is neither a community (a:b or large:a:b:c) nor a name in bgp-communities${hint === undefined ? "" : ` (did you mean ${JSON.stringify(hint)}?)`}`;
        r.error(cp, why, c);
        return;
      }
      if (communities.some((x) => formatCommunity(x) === formatCommunity(parsed.value)))
        r.warn(cp, `${quote(text)} is ${formatCommunity(parsed.value)}, already listed`, c);
      communities.push(parsed.value);
    });
    if (r.errors.length !== before) return;
    // MetalLB rejects identical advertisements in one pool (compared as written).
    const raw = JSON.stringify(
      advertisementKeys.map((k) => {
        const v = f.byKey.get(k)?.value;
        return v == null ? null : String((v as { toJSON(): unknown }).toJSON());
      }),
    );
    const twin = rawSeen.get(raw);
    if (twin !== undefined) {
      r.error(p, `identical to bgp-advertisements[${twin}]`, item);
      return;
    }
    rawSeen.set(raw, i);
    out.push({ aggregationLength, aggregationLengthV6, localPref, communities });
  });
  return out;
}

/** Any two ranges of any pools (or of one pool) must not share an address; both are named. */
function checkOverlaps(r: Reader, entries: readonly Entry[]): void {
  const sorted = entries
    .map((e, order) => ({ e, order }))
    .sort((a, b) => a.e.range.first.compare(b.e.range.first) || a.order - b.order);
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    for (let j = i + 1; j < sorted.length; j++) {
      const b = sorted[j]!;
      if (b.e.range.first.family !== a.e.range.first.family || b.e.range.first.compare(a.e.range.last) > 0)
        break;
      if (!rangesOverlap(a.e.range, b.e.range)) continue;
      // Report at the entry written later, naming the earlier one.
      const [early, late] = a.order < b.order ? [a.e, b.e] : [b.e, a.e];
      const where =
        early.poolIndex === late.poolIndex
          ? `${formatRange(early.range)} in the same pool (${early.path})`
          : `${formatRange(early.range)} in pool ${quote(early.pool)} (${early.path})`;
      r.error(
        late.path,
        `${formatRange(late.range)} in pool ${quote(late.pool)} overlaps ${where}`,
        late.node,
      );
    }
  }
}

export function reportAliases(
  r: Reader,
  aliases: ReadonlyMap<string, Alias>,
  used: ReadonlySet<string>,
): void {
  for (const [name, a] of aliases) {
    if (a.problem === undefined) continue;
    if (used.has(name)) r.error(a.path, a.problem, a.node);
    else r.warn(a.path, `${a.problem} (unused, so MetalLB accepted it)`, a.node);
  }
}
