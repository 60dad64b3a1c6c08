/** One-line summaries of a valid config, for `signalbox config check` and logs. Never shows secrets. */
import { formatSeconds } from "./duration.ts";
import type { ConfigIssue } from "./issues.ts";
import type { AddressPool, Config } from "./types.ts";

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Exact below a million, then a power of two or an approximation (a /64 has 2^64 addresses). */
export function formatCount(n: bigint): string {
  if (n < 1_000_000n) return n.toString();
  if ((n & (n - 1n)) === 0n) return `2^${n.toString(2).length - 1}`;
  return `~${Number(n).toExponential(1).replace("e+", "e")}`;
}

export function poolSize(pool: AddressPool): bigint {
  return pool.ranges.reduce((sum, r) => sum + r.last.toBigInt() - r.first.toBigInt() + 1n, 0n);
}

export function summarize(config: Config, warnings: readonly ConfigIssue[]): string {
  const pools = config.addressPools.map((p) => {
    const size = poolSize(p);
    const flags = [p.protocol, `${formatCount(size)} ${size === 1n ? "address" : "addresses"}`];
    if (!p.autoAssign) flags.push("no auto-assign");
    if (p.linkBandwidth !== "off") flags.push(`link-bandwidth ${p.linkBandwidth}`);
    return `${p.name}: ${flags.join(", ")}`;
  });
  const parts = [
    plural(config.peers.length, "peer"),
    `${plural(config.addressPools.length, "address pool")}${pools.length > 0 ? ` (${pools.join("; ")})` : ""}`,
  ];
  if (config.bgpCommunities.size > 0)
    parts.push(plural(config.bgpCommunities.size, "community alias", "community aliases"));
  if (config.bfdProfiles.length > 0) parts.push(plural(config.bfdProfiles.length, "BFD profile"));
  const tail = warnings.length > 0 ? `; ${plural(warnings.length, "warning")}` : "";
  return `config OK: ${parts.join(", ")}${tail}`;
}

/** One line per peer: address, ASNs and timers; the password only as "(TCP MD5)". */
export function describePeers(config: Config): string[] {
  return config.peers.map((p) => {
    const bits = [`${p.peerAddress} port ${p.peerPort}`, `AS ${p.myAsn} → AS ${p.peerAsn}`];
    bits.push(`hold ${formatSeconds(p.holdTime)}`);
    if (p.password !== undefined) bits.push("TCP MD5");
    return bits.join(", ");
  });
}
