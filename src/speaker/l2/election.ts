/**
 * Who answers for each layer-2 address: a deterministic function of the addresses, the nodes
 * eligible for each (plan.ts `Desired.l2Cluster`, identical on every node that has the same
 * snapshot) and the set of live nodes. Every speaker computes it alone and gets the same
 * answer, as MetalLB's layer-2 election (anchors.md §d), but with two changes:
 *
 * 1. Balance. MetalLB orders candidates by sha256(node#ip) and takes the first: rendezvous
 *    hashing, which is random placement, so a few Services bunch up on one node (#2284).
 *    Here each address has a *home*: addresses are taken in a fixed order (fewest eligible
 *    nodes first, then by hash) and each goes to the highest-ranked eligible node that is
 *    still under its share, where the shares are ⌊m/n⌋ and, for m mod n of the nodes,
 *    ⌊m/n⌋ + 1. With every node eligible for every address the loads differ by at most one.
 * 2. Stability. Homes depend on the snapshot only, never on liveness. An address whose
 *    home is alive stays there; only the addresses of dead homes (*orphans*) move, spread
 *    over the live nodes by the same share rule, and they go back when their home returns.
 *    A node coming or going therefore moves only its own addresses.
 *
 * Ranking: a 32-bit mix of the node name's and the address's hashes (highest first, name as
 * tie-break), so the order of candidates differs per address (rendezvous hashing).
 */

export interface ElectionInput {
  /** The address, canonical text. */
  readonly key: string;
  /** Nodes eligible for it (plan.ts rules 3 and 5), any order. */
  readonly eligible: readonly string[];
}

export interface Elected {
  /** Eligible nodes, best first. */
  readonly ranked: readonly string[];
  /** Where the address lives while that node is alive (undefined: no eligible node). */
  readonly home: string | undefined;
}

export interface Winner {
  /** The node that answers, or undefined when no eligible node is alive. */
  readonly winner: string | undefined;
  readonly home: string | undefined;
  /** True when the home is dead and the address is covered by another node. */
  readonly orphan: boolean;
}

/** FNV-1a over UTF-16 code units, then murmur3's finaliser. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3 fmix32: every input bit affects every output bit. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The rendezvous score of a node for an address (higher ranks first). */
export function score(nodeHash: number, keyHash: number): number {
  return fmix32(fmix32(nodeHash ^ 0x9e3779b9) ^ keyHash);
}

function rank(key: string, eligible: readonly string[]): string[] {
  const kh = hashString(key);
  const scored = [...new Set(eligible)].map((n) => ({ n, s: score(hashString(n), kh) }));
  scored.sort((a, b) => b.s - a.s || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
  return scored.map((x) => x.n);
}

/**
 * Shares for `m` items over `n` bins: every bin may hold ⌊m/n⌋, and `extra` = m mod n of
 * them one more. Returns a function that says whether a bin with `load` may take one more,
 * and records it.
 */
function shares(m: number, n: number, loads: Map<string, number>): (node: string) => boolean {
  const base = n === 0 ? 0 : Math.floor(m / n);
  const extra = m - base * n;
  let full = 0;
  for (const l of loads.values()) if (l > base) full++;
  return (node) => {
    const l = loads.get(node) ?? 0;
    if (l < base || (l === base && full < extra)) {
      loads.set(node, l + 1);
      if (l + 1 > base) full++;
      return true;
    }
    return false;
  };
}

/** Most constrained first (fewest eligible nodes), then a hash order that favours no address. */
function order(inputs: readonly { key: string; ranked: readonly string[] }[]) {
  return [...inputs].sort(
    (a, b) =>
      a.ranked.length - b.ranked.length ||
      hashString(a.key) - hashString(b.key) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

/** Phase 1: each address's ranking and home. Depends on the snapshot only. */
export function homes(inputs: readonly ElectionInput[]): Map<string, Elected> {
  const ranked = inputs.map((i) => ({ key: i.key, ranked: rank(i.key, i.eligible) }));
  const nodes = new Set<string>();
  for (const r of ranked) for (const n of r.ranked) nodes.add(n);
  const placed = ranked.filter((r) => r.ranked.length > 0);
  const loads = new Map<string, number>();
  const take = shares(placed.length, nodes.size, loads);
  const out = new Map<string, Elected>();
  for (const r of order(ranked)) {
    if (r.ranked.length === 0) {
      out.set(r.key, { ranked: [], home: undefined });
      continue;
    }
    // Under the share if possible; else (uneven eligibility) the best-ranked node.
    let home = r.ranked.find((n) => take(n));
    if (home === undefined) {
      home = r.ranked[0]!;
      loads.set(home, (loads.get(home) ?? 0) + 1);
    }
    out.set(r.key, { ranked: r.ranked, home });
  }
  return out;
}

/**
 * Phase 2: the winners, given who is alive. Addresses whose home is alive stay home; orphans
 * go, in the same fixed order, to the best-ranked live node under its share of all the
 * addresses that have a live candidate.
 */
export function winners(
  elected: ReadonlyMap<string, Elected>,
  alive: ReadonlySet<string>,
): Map<string, Winner> {
  const out = new Map<string, Winner>();
  const loads = new Map<string, number>();
  const liveNodes = new Set<string>();
  let covered = 0;
  const orphans: { key: string; ranked: readonly string[] }[] = [];
  for (const [key, e] of elected) {
    const live = e.ranked.filter((n) => alive.has(n));
    for (const n of live) liveNodes.add(n);
    if (live.length > 0) covered++;
    if (e.home !== undefined && alive.has(e.home)) {
      loads.set(e.home, (loads.get(e.home) ?? 0) + 1);
      out.set(key, { winner: e.home, home: e.home, orphan: false });
    } else if (live.length === 0) {
      out.set(key, { winner: undefined, home: e.home, orphan: e.home !== undefined });
    } else {
      orphans.push({ key, ranked: live });
    }
  }
  const take = shares(covered, liveNodes.size, loads);
  for (const o of order(orphans)) {
    let w = o.ranked.find((n) => take(n));
    if (w === undefined) {
      w = o.ranked[0]!;
      loads.set(w, (loads.get(w) ?? 0) + 1);
    }
    out.set(o.key, { winner: w, home: elected.get(o.key)!.home, orphan: true });
  }
  return out;
}
