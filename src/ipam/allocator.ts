/**
 * The allocator: which Service holds which external IP. Pure (no I/O, clock or randomness):
 * the same pools and the same calls in the same order give the same answers.
 *
 * Rules, in the order they apply:
 *
 * 1. Rebuild before allocating. `Allocator.restore` registers every address every Service
 *    already holds (its status ingress) before any new address is chosen, so a restart or a
 *    partial view cannot hand a live IP to a second Service (MetalLB #1774, #2443, #2479,
 *    #2723). Services are restored in key order, so the input order does not matter. A held
 *    address another Service already holds incompatibly stays with the first Service in key
 *    order and the other is reported as a conflict; an address outside every pool stays held
 *    and is reported as an orphan.
 * 2. Keep what is valid. `assign` keeps every address a Service holds while it is still
 *    valid: of a wanted family, in an allowed pool (the named pool, if any; avoidBuggyIps
 *    honoured), equal to the requested IP if one is requested, and shareable with the other
 *    holders. autoAssign never takes an address away; it only stops new choices.
 * 3. Requested IPs (`spec.loadBalancerIP`, `loadBalancerIPs` annotations) are assigned as
 *    given: each must be usable in a pool (the named one, if any), all in the same pool, and
 *    free or shareable. autoAssign does not matter for them.
 * 4. Otherwise a missing family is filled from the pool the Service already uses (a
 *    PreferDualStack Service gains its second family when it can), and a Service with
 *    nothing gets new addresses from the named pool or else from the autoAssign pools in
 *    configuration order: the first pool that can serve every wanted family wins. Inside a
 *    pool, a Service with a sharing key first takes the lowest address already held under
 *    the same key that it may share; otherwise the lowest free address, ranges in address
 *    order (found in O(log n) from the runs of held addresses, never by scanning the pool).
 *    RequireDualStack needs both families from one pool; PreferDualStack takes both if one
 *    pool has both, else one family (primary first); SingleStack takes the primary family.
 * 5. Sharing (MetalLB `sharingOK`): two Services share an address only if both carry the
 *    same sharing key, both have the same traffic policy (both Cluster, or both Local with
 *    the same selector) and no (protocol, port) is used by both.
 * 6. A failed request changes nothing it does not have to: the Service keeps the addresses it
 *    held that are still shareable and of a wanted family, and the failure says why. When
 *    the request changed (other IP, pool or families) and keeping its addresses cannot
 *    satisfy it, the Service may move to a fresh allocation.
 * 7. Config changes: `previewPools` lists the held addresses a new configuration would not
 *    allow (service → address → why) without applying anything; `setPools` applies it and
 *    returns the same list. With the default orphan policy "keep" nothing moves: an
 *    orphaned address stays with its Service until its request changes. With "reallocate",
 *    orphaned Services move at once and every move is reported.
 * 8. `release` frees a deleted Service's addresses; a shared address is free when its last
 *    holder goes.
 */
import { type Family, IpAddress, type Prefix } from "../../protocol/ip/index.ts";
import { err, ok, type Result } from "../../protocol/result.ts";
import { summarize } from "./cidr.ts";
import { PoolSpace } from "./pool-space.ts";
import { sharingConflict } from "./sharing.ts";
import type {
  AllocationFailure,
  AllocationRequest,
  AllocatorOptions,
  Assignment,
  IpamPool,
  Orphan,
  OrphanPolicy,
  OrphanWhy,
  RestoreConflict,
  ServiceKey,
  Sharing,
  SharingConflict,
} from "./types.ts";

/** A Service and the addresses its status says it holds (input to `Allocator.restore`). */
export interface HeldService {
  readonly request: AllocationRequest;
  readonly held: readonly IpAddress[];
}

export interface RestoreReport {
  readonly conflicts: readonly RestoreConflict[];
  readonly orphans: readonly Orphan[];
}

export interface ConfigChangeReport {
  /** Held addresses the new configuration does not allow. */
  readonly orphans: readonly Orphan[];
  /** Services moved to new addresses (policy "reallocate" only). */
  readonly moved: readonly { readonly from: Assignment; readonly to: Assignment }[];
  /** Orphaned Services that could not be moved (policy "reallocate" only); they keep what they hold. */
  readonly failed: readonly { readonly service: ServiceKey; readonly failure: AllocationFailure }[];
}

export interface PoolStatus {
  readonly pool: string;
  readonly autoAssign: boolean;
  /** The pool's ranges as minimal CIDR lists, in configuration order. */
  readonly prefixes: readonly Prefix[];
  readonly ipv4: { readonly capacity: bigint; readonly inUse: number };
  readonly ipv6: { readonly capacity: bigint; readonly inUse: number };
}

interface ServiceState {
  request: AllocationRequest;
  addresses: IpAddress[];
}

interface Holding {
  readonly address: IpAddress;
  readonly value: bigint;
  readonly holders: ServiceKey[];
}

interface PoolEntry {
  readonly pool: IpamPool;
  readonly spaces: ReadonlyMap<Family, PoolSpace>;
}

interface InUse {
  readonly holder: ServiceKey;
  readonly conflict: SharingConflict;
}

/** Map key for an address: its value, with bit 128 set for IPv6 so families never collide. */
function addressKey(a: IpAddress): bigint {
  return a.family === 4 ? BigInt(a.w0) : a.toBigInt() | (1n << 128n);
}

function other(f: Family): Family {
  return f === 4 ? 6 : 4;
}

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The families a request needs addressed, primary first. */
export function wantedFamilies(req: AllocationRequest): Family[] {
  if (req.addresses.length > 0) return req.addresses.map((a) => a.family);
  const primary = req.families[0] ?? 4;
  if (req.policy === "SingleStack") return [primary];
  if (req.policy === "RequireDualStack") return [primary, other(primary)];
  return req.families.length > 0 ? [...req.families] : [4, 6];
}

function samePlacement(a: AllocationRequest, b: AllocationRequest): boolean {
  return (
    a.policy === b.policy &&
    a.pool === b.pool &&
    a.families.length === b.families.length &&
    a.families.every((f, i) => b.families[i] === f) &&
    a.addresses.length === b.addresses.length &&
    a.addresses.every((x, i) => b.addresses[i]!.equals(x))
  );
}

export class Allocator {
  readonly #policy: OrphanPolicy;
  #pools: readonly IpamPool[] = [];
  #entries: PoolEntry[] = [];
  #byName = new Map<string, PoolEntry>();
  #byFamily: Record<Family, PoolSpace[]> = { 4: [], 6: [] };
  readonly #services = new Map<ServiceKey, ServiceState>();
  readonly #holdings = new Map<bigint, Holding>();
  /** sharing key → keys of addresses held under it */
  readonly #shared = new Map<string, Set<bigint>>();

  constructor(pools: readonly IpamPool[], options: AllocatorOptions = {}) {
    this.#policy = options.orphans ?? "keep";
    this.#index(pools);
  }

  /**
   * A new allocator holding everything `services` already hold (rule 1). Call it on start
   * and on every resync, with ALL Services that hold addresses, before `assign`.
   */
  static restore(
    pools: readonly IpamPool[],
    services: readonly HeldService[],
    options: AllocatorOptions = {},
  ): { readonly allocator: Allocator; readonly report: RestoreReport } {
    const a = new Allocator(pools, options);
    const sorted = [...services].sort((x, y) => byKey(x.request.service, y.request.service));
    const conflicts: RestoreConflict[] = [];
    for (const s of sorted) {
      if (!a.#services.has(s.request.service))
        a.#services.set(s.request.service, { request: s.request, addresses: [] });
    }
    for (const s of sorted) {
      const service = s.request.service;
      const state = a.#services.get(service)!;
      if (state.request !== s.request) continue; // a duplicate entry for one Service: the first wins
      for (const address of s.held) {
        if (state.addresses.some((h) => h.equals(address))) continue;
        if (state.addresses.some((h) => h.family === address.family)) {
          conflicts.push({
            service,
            address,
            holder: service,
            conflict: { kind: "second-address-of-family" },
          });
          continue;
        }
        const inUse = a.#inUse(address, service, s.request.sharing);
        if (inUse !== undefined) {
          conflicts.push({ service, address, holder: inUse.holder, conflict: inUse.conflict });
          continue;
        }
        a.#hold(service, address);
        state.addresses.push(address);
      }
    }
    return { allocator: a, report: { conflicts, orphans: a.orphans() } };
  }

  get pools(): readonly IpamPool[] {
    return this.#pools;
  }

  /** Number of Services holding at least one address. */
  get size(): number {
    let n = 0;
    for (const s of this.#services.values()) if (s.addresses.length > 0) n++;
    return n;
  }

  #index(pools: readonly IpamPool[]): void {
    this.#pools = pools;
    this.#entries = [];
    this.#byName = new Map();
    this.#byFamily = { 4: [], 6: [] };
    pools.forEach((pool, order) => {
      if (this.#byName.has(pool.name)) return; // the config layer rejects duplicates; the first wins
      const spaces = new Map<Family, PoolSpace>();
      for (const family of [4, 6] as const) {
        const space = new PoolSpace(pool, family, order);
        if (!space.hasRanges) continue;
        spaces.set(family, space);
        this.#byFamily[family].push(space);
      }
      const entry = { pool, spaces };
      this.#entries.push(entry);
      this.#byName.set(pool.name, entry);
    });
    for (const h of this.#holdings.values()) this.#mark(h, true);
  }

  /** Adds or removes a held address in every pool space that may hand it out. */
  #mark(h: Holding, held: boolean): void {
    for (const s of this.#byFamily[h.address.family]) {
      if (!s.contains(h.value)) continue;
      if (held) s.used.add(h.value);
      else s.used.delete(h.value);
    }
  }

  #hold(service: ServiceKey, address: IpAddress): void {
    const key = addressKey(address);
    let h = this.#holdings.get(key);
    if (h === undefined) {
      h = { address, value: address.toBigInt(), holders: [] };
      this.#holdings.set(key, h);
      this.#mark(h, true);
    }
    h.holders.push(service);
    const sharing = this.#services.get(service)?.request.sharing;
    if (sharing !== undefined) {
      let set = this.#shared.get(sharing.key);
      if (set === undefined) {
        set = new Set();
        this.#shared.set(sharing.key, set);
      }
      set.add(key);
    }
  }

  #unhold(service: ServiceKey, address: IpAddress): void {
    const key = addressKey(address);
    const h = this.#holdings.get(key);
    if (h === undefined) return;
    const i = h.holders.indexOf(service);
    if (i < 0) return;
    h.holders.splice(i, 1);
    if (h.holders.length === 0) {
      this.#holdings.delete(key);
      this.#mark(h, false);
    }
    const sharing = this.#services.get(service)?.request.sharing;
    if (sharing === undefined) return;
    const stillShared = h.holders.some((s) => this.#services.get(s)?.request.sharing?.key === sharing.key);
    if (stillShared) return;
    const set = this.#shared.get(sharing.key);
    set?.delete(key);
    if (set?.size === 0) this.#shared.delete(sharing.key);
  }

  /** The holder that `service` may not share `address` with, if any. */
  #inUse(address: IpAddress, service: ServiceKey, sharing: Sharing | undefined): InUse | undefined {
    const h = this.#holdings.get(addressKey(address));
    if (h === undefined) return undefined;
    for (const holder of h.holders) {
      if (holder === service) continue;
      const conflict = sharingConflict(sharing, this.#services.get(holder)?.request.sharing);
      if (conflict !== undefined) return { holder, conflict };
    }
    return undefined;
  }

  #spaceOf(address: IpAddress): PoolSpace | undefined {
    const x = address.toBigInt();
    for (const s of this.#byFamily[address.family]) if (s.contains(x)) return s;
    return undefined;
  }

  /** Why the configuration does not allow `service` to hold `address`; undefined if it does. */
  #orphanWhy(address: IpAddress, req: AllocationRequest): OrphanWhy | undefined {
    const s = this.#spaceOf(address);
    if (s === undefined) {
      const x = address.toBigInt();
      return this.#byFamily[address.family].some((p) => p.inRanges(x)) ? "avoid-buggy-ips" : "no-pool";
    }
    if (req.pool === undefined) return undefined;
    if (!this.#byName.has(req.pool)) return "pool-not-found";
    return s.pool.name === req.pool ? undefined : "not-in-requested-pool";
  }

  #assignment(service: ServiceKey, addresses: readonly IpAddress[]): Assignment {
    const first = addresses[0];
    const pool = first === undefined ? undefined : this.#spaceOf(first)?.pool.name;
    return { service, addresses, pool };
  }

  /** What `service` holds now, if anything. */
  assignmentOf(service: ServiceKey): Assignment | undefined {
    const s = this.#services.get(service);
    if (s === undefined || s.addresses.length === 0) return undefined;
    return this.#assignment(service, [...s.addresses]);
  }

  /** Every Service holding addresses, in key order. */
  assignments(): Assignment[] {
    const keys = [...this.#services.keys()].sort(byKey);
    const out: Assignment[] = [];
    for (const k of keys) {
      const a = this.assignmentOf(k);
      if (a !== undefined) out.push(a);
    }
    return out;
  }

  /** The Services holding `address` (several when shared), in the order they got it. */
  holdersOf(address: IpAddress): readonly ServiceKey[] {
    return [...(this.#holdings.get(addressKey(address))?.holders ?? [])];
  }

  /**
   * Gives `req.service` the addresses its request asks for, keeping what it holds when
   * still valid. On failure the Service keeps what it may still hold (`assignmentOf`).
   */
  assign(req: AllocationRequest): Result<Assignment, AllocationFailure> {
    const service = req.service;
    const prev = this.#services.get(service);
    const old = prev?.addresses ?? [];
    const same = prev !== undefined && samePlacement(prev.request, req);
    for (const a of old) this.#unhold(service, a);
    const state: ServiceState = { request: req, addresses: [] };
    this.#services.set(service, state);

    const wanted = wantedFamilies(req);
    const safe: IpAddress[] = [];
    const valid: IpAddress[] = [];
    for (const a of old) {
      if (!wanted.includes(a.family) || safe.some((b) => b.family === a.family)) continue;
      if (this.#inUse(a, service, req.sharing) !== undefined) continue;
      safe.push(a);
      if (req.addresses.length > 0 && !req.addresses.some((r) => r.equals(a))) continue;
      const why = this.#orphanWhy(a, req);
      if (why === undefined || (same && this.#policy === "keep")) valid.push(a);
    }

    let result = this.#choose(req, wanted, valid);
    if (!result.ok && !same && valid.length > 0 && req.addresses.length === 0) {
      // The request changed and what the Service holds cannot satisfy it: moving is allowed.
      const fresh = this.#choose(req, wanted, []);
      if (fresh.ok) result = fresh;
    }
    const final = result.ok ? result.value : safe;
    const order = (a: IpAddress) => {
      const i = wanted.indexOf(a.family);
      return i < 0 ? 2 : i;
    };
    final.sort((a, b) => order(a) - order(b));
    for (const a of final) this.#hold(service, a);
    state.addresses = final;
    if (!result.ok) {
      if (final.length === 0) this.#services.delete(service);
      return err(result.error);
    }
    return ok(this.#assignment(service, [...final]));
  }

  /** Frees everything `service` holds; returns what it held. */
  release(service: ServiceKey): Assignment | undefined {
    const s = this.#services.get(service);
    if (s === undefined) return undefined;
    const held = this.assignmentOf(service);
    for (const a of s.addresses) this.#unhold(service, a);
    this.#services.delete(service);
    return held;
  }

  /** Every held address the current configuration does not allow (rule 7), in key order. */
  orphans(): Orphan[] {
    return this.#orphansUnder(this);
  }

  #orphansUnder(config: Allocator): Orphan[] {
    const out: Orphan[] = [];
    for (const service of [...this.#services.keys()].sort(byKey)) {
      const s = this.#services.get(service)!;
      for (const address of s.addresses) {
        const why = config.#orphanWhy(address, s.request);
        if (why !== undefined) out.push({ service, address, from: this.#spaceOf(address)?.pool.name, why });
      }
    }
    return out;
  }

  /** What `setPools(pools)` would orphan, without applying anything (a dry run). */
  previewPools(pools: readonly IpamPool[]): ConfigChangeReport {
    return { orphans: this.#orphansUnder(new Allocator(pools)), moved: [], failed: [] };
  }

  /**
   * Applies a new configuration. Held addresses never move under policy "keep"; under
   * "reallocate" orphaned Services get new addresses in key order. Either way the report
   * lists every orphan (service → address → why).
   */
  setPools(pools: readonly IpamPool[]): ConfigChangeReport {
    const orphans = this.#orphansUnder(new Allocator(pools));
    this.#index(pools);
    const moved: { from: Assignment; to: Assignment }[] = [];
    const failed: { service: ServiceKey; failure: AllocationFailure }[] = [];
    if (this.#policy === "reallocate") {
      const services = [...new Set(orphans.map((o) => o.service))];
      for (const service of services) {
        const from = this.assignmentOf(service)!;
        const r = this.assign(this.#services.get(service)!.request);
        if (r.ok) moved.push({ from, to: r.value });
        else failed.push({ service, failure: r.error });
      }
    }
    return { orphans, moved, failed };
  }

  /** Per pool: its CIDRs, and usable and held addresses per family (status and metrics). */
  poolStatus(): PoolStatus[] {
    return this.#entries.map(({ pool, spaces }) => {
      const v4 = spaces.get(4);
      const v6 = spaces.get(6);
      return {
        pool: pool.name,
        autoAssign: pool.autoAssign,
        prefixes: pool.ranges.flatMap(summarize),
        ipv4: { capacity: v4?.capacity() ?? 0n, inUse: v4?.used.size ?? 0 },
        ipv6: { capacity: v6?.capacity() ?? 0n, inUse: v6?.used.size ?? 0 },
      };
    });
  }

  #choose(
    req: AllocationRequest,
    wanted: Family[],
    valid: IpAddress[],
  ): Result<IpAddress[], AllocationFailure> {
    if (req.addresses.length > 0) return this.#requested(req, valid);
    const have = [...valid];
    const missing = wanted.filter((f) => !have.some((a) => a.family === f));
    if (missing.length === 0) return ok(have);
    if (have.length > 0) {
      // Fill the missing family from the pool the Service already uses.
      const entry = this.#entryOf(have[0]!);
      for (const f of missing) {
        const space = entry?.spaces.get(f);
        const got = space === undefined ? undefined : this.#pick(space, req);
        if (got !== undefined) {
          have.push(got);
          continue;
        }
        if (req.policy !== "RequireDualStack") continue;
        const pools = entry === undefined ? [] : [entry.pool.name];
        return err(
          space === undefined
            ? { reason: "family-not-available", family: f, pools }
            : { reason: "pool-exhausted", family: f, pools },
        );
      }
      return ok(have);
    }
    return this.#fresh(req, wanted);
  }

  #entryOf(address: IpAddress): PoolEntry | undefined {
    const s = this.#spaceOf(address);
    return s === undefined ? undefined : this.#byName.get(s.pool.name);
  }

  #requested(req: AllocationRequest, valid: IpAddress[]): Result<IpAddress[], AllocationFailure> {
    const out: IpAddress[] = [];
    let pool: string | undefined;
    for (const address of req.addresses) {
      if (valid.some((v) => v.equals(address))) {
        out.push(address);
        continue;
      }
      if (req.pool !== undefined && !this.#byName.has(req.pool))
        return err({ reason: "pool-not-found", pool: req.pool });
      const space = this.#spaceOf(address);
      if (space === undefined) {
        const why = this.#orphanWhy(address, req) === "avoid-buggy-ips" ? "avoid-buggy-ips" : "no-pool";
        return err({ reason: "ip-not-in-pool", address, why, pool: req.pool });
      }
      if (req.pool !== undefined && space.pool.name !== req.pool)
        return err({ reason: "ip-not-in-pool", address, why: "not-in-requested-pool", pool: req.pool });
      if (pool !== undefined && space.pool.name !== pool)
        return err({ reason: "ip-not-in-pool", address, why: "different-pools", pool: req.pool });
      pool = space.pool.name;
      const inUse = this.#inUse(address, req.service, req.sharing);
      if (inUse !== undefined) return err({ reason: "ip-in-use", address, ...inUse });
      out.push(address);
    }
    return ok(out);
  }

  /** A new address from `space`: a shareable one under the same key first, else the lowest free. */
  #pick(space: PoolSpace, req: AllocationRequest): IpAddress | undefined {
    if (req.sharing !== undefined) {
      let best: Holding | undefined;
      for (const key of this.#shared.get(req.sharing.key) ?? []) {
        const h = this.#holdings.get(key);
        if (h === undefined || h.address.family !== space.family || !space.contains(h.value)) continue;
        if (best !== undefined && h.value >= best.value) continue;
        if (this.#inUse(h.address, req.service, req.sharing) === undefined) best = h;
      }
      if (best !== undefined) return best.address;
    }
    const x = space.lowestFree();
    return x === undefined ? undefined : IpAddress.fromBigInt(space.family, x);
  }

  /** Picks every family of `families` from `entry`, or says which family failed and how. */
  #fromPool(
    entry: PoolEntry,
    families: readonly Family[],
    req: AllocationRequest,
  ): Result<IpAddress[], { family: Family; missing: boolean }> {
    const out: IpAddress[] = [];
    for (const family of families) {
      const space = entry.spaces.get(family);
      if (space === undefined) return err({ family, missing: true });
      const got = this.#pick(space, req);
      if (got === undefined) return err({ family, missing: false });
      out.push(got);
    }
    return ok(out);
  }

  #fresh(req: AllocationRequest, wanted: Family[]): Result<IpAddress[], AllocationFailure> {
    let eligible: PoolEntry[];
    if (req.pool !== undefined) {
      const entry = this.#byName.get(req.pool);
      if (entry === undefined) return err({ reason: "pool-not-found", pool: req.pool });
      eligible = [entry];
    } else {
      if (this.#entries.length === 0) return err({ reason: "no-pools" });
      eligible = this.#entries.filter((e) => e.pool.autoAssign);
      if (eligible.length === 0)
        return err({ reason: "auto-assign-disabled", pools: this.#entries.map((e) => e.pool.name) });
    }
    const tryAll = (families: readonly Family[]): Result<IpAddress[], AllocationFailure> => {
      let exhausted: Family | undefined;
      for (const e of eligible) {
        const r = this.#fromPool(e, families, req);
        if (r.ok) return r;
        if (!r.error.missing) exhausted ??= r.error.family;
      }
      return err(this.#why(eligible, families, exhausted));
    };
    const all = tryAll(wanted);
    if (all.ok || req.policy !== "PreferDualStack" || wanted.length < 2) return all;
    for (const f of wanted) {
      const one = tryAll([f]);
      if (one.ok) return one;
    }
    return all;
  }

  /**
   * Why no pool of `eligible` served all of `families`: a family no pool has, else no pool
   * with every family, else the first family some complete pool ran out of.
   */
  #why(
    eligible: readonly PoolEntry[],
    families: readonly Family[],
    exhausted: Family | undefined,
  ): AllocationFailure {
    const names = eligible.map((e) => e.pool.name);
    for (const family of families) {
      if (!eligible.some((e) => e.spaces.has(family)))
        return { reason: "family-not-available", family, pools: names };
    }
    const complete = eligible.filter((e) => families.every((f) => e.spaces.has(f)));
    if (complete.length === 0 || exhausted === undefined) {
      // Each family exists somewhere, but no single pool has all of them.
      return { reason: "family-not-available", family: families[families.length - 1]!, pools: names };
    }
    return { reason: "pool-exhausted", family: exhausted, pools: complete.map((e) => e.pool.name) };
  }
}
