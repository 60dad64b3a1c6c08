/**
 * `parseConfig`: text (a ConfigMap manifest or its bare `config` YAML) to a validated Config,
 * or every error found. Rules follow MetalLB v0.12.1 (`internal/config/config.go`); see
 * README.md for the format and where signalbox differs.
 */
import { isSeq } from "yaml";
import { DEFAULT_RACK_BALANCE, readRackBalance } from "./balance.ts";
import { readBfdProfiles } from "./bfd.ts";
import type { Community } from "./community.ts";
import type { ConfigIssue } from "./issues.ts";
import { readPeers } from "./peers.ts";
import { type Alias, readCommunityAliases, readPools, reportAliases } from "./pools.ts";
import { Reader } from "./reader.ts";
import { load } from "./source.ts";
import type { BfdProfile, Config } from "./types.ts";

export type ParseResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly ConfigIssue[] }
  | {
      readonly ok: false;
      readonly errors: readonly ConfigIssue[];
      readonly warnings: readonly ConfigIssue[];
    };

export const topLevelKeys = [
  "peers",
  "address-pools",
  "bgp-communities",
  "bfd-profiles",
  // signalbox addition (README.md "rack-balance"):
  "rack-balance",
] as const;

const bfdNotYet = "BFD is not implemented yet: profiles are checked but not used";

/** In file order; issues without a position keep their place at the end. */
function byPosition(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const inf = Number.POSITIVE_INFINITY;
  return [...issues].sort((a, b) => (a.line ?? inf) - (b.line ?? inf) || (a.column ?? 0) - (b.column ?? 0));
}

export function parseConfig(text: string): ParseResult {
  const loaded = load(text);
  if (!loaded.ok)
    return { ok: false, errors: byPosition(loaded.errors), warnings: byPosition(loaded.warnings) };
  const r = new Reader(loaded.doc, loaded.locate, loaded.fallback);
  r.warnings.push(...loaded.warnings);
  const root = r.resolve(loaded.doc.contents);
  let config: Config = {
    peers: [],
    addressPools: [],
    bgpCommunities: new Map(),
    bfdProfiles: [],
    rackBalance: DEFAULT_RACK_BALANCE,
  };
  const top = root === null ? undefined : r.object(root, "", topLevelKeys);
  if (root !== null && top !== undefined) {
    let bfdProfiles: BfdProfile[] = [];
    let bfdNames: Set<string> | undefined = new Set();
    const bfd = r.list(top, "bfd-profiles");
    if (bfd !== undefined) {
      const errorsBefore = r.errors.length;
      if (bfd.items.length > 0) r.warn("bfd-profiles", bfdNotYet, bfd.field.key);
      bfdProfiles = readBfdProfiles(r, bfd.items, "bfd-profiles", bfd.field.value!);
      // With broken profiles, "not defined" on a peer would only repeat the problem.
      bfdNames = r.errors.length === errorsBefore ? new Set(bfdProfiles.map((b) => b.name)) : undefined;
    } else if (top.byKey.get("bfd-profiles")?.value != null) {
      bfdNames = undefined;
    }

    const aliases: Map<string, Alias> = readCommunityAliases(r, top);
    const used = new Set<string>();

    const peerList = r.list(top, "peers");
    const peers =
      peerList === undefined ? [] : readPeers(r, peerList.items, "peers", peerList.field.value!, bfdNames);

    const poolList = r.list(top, "address-pools");
    const addressPools =
      poolList === undefined
        ? []
        : readPools(r, poolList.items, "address-pools", poolList.field.value!, aliases, used);
    reportAliases(r, aliases, used);

    const bgpCommunities = new Map<string, Community>();
    for (const [name, a] of aliases) if (a.value !== undefined) bgpCommunities.set(name, a.value);
    const rackBalance = readRackBalance(r, top);
    config = { peers, addressPools, bgpCommunities, bfdProfiles, rackBalance };

    const poolsGiven = top.byKey.get("address-pools")?.value;
    if (poolsGiven == null || (isSeq(poolsGiven) && poolsGiven.items.length === 0))
      r.warn("address-pools", "no address pools: no Service will get an IP", top.node);
    else if (r.errors.length === 0 && addressPools.some((p) => p.protocol === "bgp") && peers.length === 0)
      r.warn("peers", "there are bgp pools but no peers: their addresses are not announced", top.node);
  } else if (root === null) {
    r.warn("", "the config is empty: no address pools, so no Service will get an IP");
  }
  if (r.errors.length > 0)
    return { ok: false, errors: byPosition(r.errors), warnings: byPosition(r.warnings) };
  return { ok: true, config, warnings: byPosition(r.warnings) };
}
