/**
 * The allocator's typed failures in words an operator can act on, for events, status and logs.
 * Callers branch on the typed values; only people read these strings.
 */
import type { AllocationFailure, NotInPoolWhy, OrphanWhy, SharingConflict } from "./types.ts";

const family = (f: 4 | 6) => (f === 4 ? "IPv4" : "IPv6");
const list = (xs: readonly string[]) => (xs.length === 0 ? "none" : xs.join(", "));

function notInPool(why: NotInPoolWhy, pool: string | undefined): string {
  switch (why) {
    case "no-pool":
      return "it lies in no configured address pool";
    case "avoid-buggy-ips":
      return `pool ${pool ?? "?"} has avoid-buggy-ips and the address ends in .0 or .255`;
    case "not-in-requested-pool":
      return `it is not in the requested pool${pool ? ` (it lies in ${pool})` : ""}`;
    case "different-pools":
      return "the requested addresses lie in different pools (a Service takes all its addresses from one pool)";
  }
}

function sharing(c: SharingConflict): string {
  switch (c.kind) {
    case "holder-not-shared":
      return "its holder does not allow sharing (no allow-shared-ip annotation)";
    case "not-shared":
      return "this Service has no allow-shared-ip annotation";
    case "key-mismatch":
      return `the sharing keys differ (${c.key} vs ${c.holderKey})`;
    case "traffic-policy":
      return `the traffic policies differ (${c.backend} vs ${c.holderBackend})`;
    case "port-overlap":
      return `both use ${c.protocol}/${c.port}`;
  }
}

export function describeFailure(f: AllocationFailure): string {
  switch (f.reason) {
    case "pool-exhausted":
      return `no free ${family(f.family)} address in pool${f.pools.length === 1 ? "" : "s"} ${list(f.pools)}`;
    case "ip-not-in-pool":
      return `cannot use ${f.address}: ${notInPool(f.why, f.pool)}`;
    case "ip-in-use":
      return `${f.address} is held by ${f.holder} and cannot be shared: ${sharing(f.conflict)}`;
    case "family-not-available":
      return `no pool has ${family(f.family)} addresses (tried ${list(f.pools)})`;
    case "pool-not-found":
      return `the requested pool ${f.pool} is not configured`;
    case "auto-assign-disabled":
      return `every pool (${list(f.pools)}) has auto-assign off: name one with the address-pool annotation`;
    case "no-pools":
      return "no address pools are configured";
  }
}

export function describeOrphan(why: OrphanWhy): string {
  switch (why) {
    case "no-pool":
      return "it lies in no configured pool any more";
    case "avoid-buggy-ips":
      return "its pool now has avoid-buggy-ips";
    case "pool-not-found":
      return "its pool is no longer configured";
    case "not-in-requested-pool":
      return "it is not in the pool the Service asks for";
  }
}
