import type { Family, IpAddress, IpRange } from "../../protocol/ip/index.ts";

/**
 * One address pool as the allocator sees it. The config layer's pools are structurally
 * assignable to this (the contract with `src/config`): a CIDR arrives as its first..last range.
 */
export interface IpamPool {
  readonly name: string;
  readonly ranges: readonly IpRange[];
  /** false: only Services that name the pool or ask for one of its IPs get addresses from it. */
  readonly autoAssign: boolean;
  /** MetalLB's meaning: never hand out an IPv4 address whose last octet is 0 or 255. */
  readonly avoidBuggyIps: boolean;
}

/** `namespace/name` of a Service. */
export type ServiceKey = string;

/** Kubernetes `spec.ipFamilyPolicy`. */
export type IpFamilyPolicy = "SingleStack" | "PreferDualStack" | "RequireDualStack";

/** One entry of `spec.ports`, as far as sharing cares. */
export interface ServicePort {
  readonly protocol: string;
  readonly port: number;
}

/**
 * What a Service needs to share an IP (`allow-shared-ip`). `backend` is "Cluster" for
 * externalTrafficPolicy Cluster and "Local:" + the sorted selector for Local, so two Local
 * Services share only when they select the same pods (MetalLB's backend key).
 */
export interface Sharing {
  readonly key: string;
  readonly ports: readonly ServicePort[];
  readonly backend: string;
}

/** What one Service asks of the allocator. Built from a Service by `request.ts`. */
export interface AllocationRequest {
  readonly service: ServiceKey;
  /** Families wanted, primary first (1 or 2, distinct). */
  readonly families: readonly Family[];
  readonly policy: IpFamilyPolicy;
  /** Specific IPs asked for (0..2, one per family); when set, exactly these are assigned. */
  readonly addresses: readonly IpAddress[];
  /** Pool named by annotation; undefined: any auto-assign pool. */
  readonly pool: string | undefined;
  /** undefined: the Service holds its IPs alone. */
  readonly sharing: Sharing | undefined;
}

/** What a Service holds: one address per family, primary family first. */
export interface Assignment {
  readonly service: ServiceKey;
  readonly addresses: readonly IpAddress[];
  /** Pool of the first address; undefined when it lies in no pool any more (an orphan). */
  readonly pool: string | undefined;
}

/** Why two Services may not share an address (MetalLB `sharingOK` plus the port check). */
export type SharingConflict =
  | { readonly kind: "holder-not-shared" }
  | { readonly kind: "not-shared" }
  | { readonly kind: "key-mismatch"; readonly key: string; readonly holderKey: string }
  | { readonly kind: "traffic-policy"; readonly backend: string; readonly holderBackend: string }
  | { readonly kind: "port-overlap"; readonly protocol: string; readonly port: number };

/** Why a requested address is not allowed. */
export type NotInPoolWhy =
  /** no pool range contains it */
  | "no-pool"
  /** a range of a pool with avoidBuggyIps contains it, and it ends in .0 or .255 */
  | "avoid-buggy-ips"
  /** the Service names a pool and the address lies in another one */
  | "not-in-requested-pool"
  /** the requested addresses lie in different pools (one Service, one pool) */
  | "different-pools";

/** Why an allocation failed. Typed, so callers (events, status, metrics) never parse text. */
export type AllocationFailure =
  | {
      readonly reason: "pool-exhausted";
      readonly family: Family;
      /** the pools tried, in order */
      readonly pools: readonly string[];
    }
  | {
      readonly reason: "ip-not-in-pool";
      readonly address: IpAddress;
      readonly why: NotInPoolWhy;
      /** the pool the Service named, or where the address lies for `not-in-requested-pool` */
      readonly pool: string | undefined;
    }
  | {
      readonly reason: "ip-in-use";
      readonly address: IpAddress;
      readonly holder: ServiceKey;
      readonly conflict: SharingConflict;
    }
  | {
      readonly reason: "family-not-available";
      readonly family: Family;
      /** the pools tried: none of them has a range of this family */
      readonly pools: readonly string[];
    }
  | { readonly reason: "pool-not-found"; readonly pool: string }
  | {
      readonly reason: "auto-assign-disabled";
      /** every configured pool; none has autoAssign */
      readonly pools: readonly string[];
    }
  | { readonly reason: "no-pools" };

/** Why a held address is no longer allowed by the configuration. */
export type OrphanWhy = "no-pool" | "avoid-buggy-ips" | "pool-not-found" | "not-in-requested-pool";

/** A held address that the (new) configuration does not allow. */
export interface Orphan {
  readonly service: ServiceKey;
  readonly address: IpAddress;
  /** pool it lay in before (config change reports), when known */
  readonly from: string | undefined;
  readonly why: OrphanWhy;
}

/** A held address that could not be restored because another Service holds it incompatibly. */
export interface RestoreConflict {
  readonly service: ServiceKey;
  readonly address: IpAddress;
  /** the Service that keeps it (the first in key order) */
  readonly holder: ServiceKey;
  readonly conflict: SharingConflict | { readonly kind: "second-address-of-family" };
}

/** How the allocator treats held addresses a config change leaves outside every allowed pool. */
export type OrphanPolicy = "keep" | "reallocate";

export interface AllocatorOptions {
  /**
   * "keep" (default): an orphaned address stays with its Service, and is reported by
   * `orphans()`, until the Service's request or the policy changes. "reallocate": the next
   * `setPools` moves orphaned Services to allowed addresses and reports every move.
   */
  readonly orphans?: OrphanPolicy;
}
