/**
 * The Kubernetes side of the arbiter (README.md, "The Kubernetes arbiter: the contract"),
 * everything but the API calls: the Lease each speaker renews, its name, and the cache that
 * turns Lease watch events into `MemberEvidence`. The informer in src/cluster/kubernetes feeds
 * it (`upsert`, `remove`, `synced`, `apiReachable`) and passes it as `SpeakerOptions.l2.arbiter`.
 *
 * Liveness is judged by when *we* saw a renewal (our monotonic clock), never by comparing the
 * writer's `renewTime` with our clock: node clocks differ.
 */
import type { LivenessArbiter, MemberEvidence } from "./arbiter.ts";
import { hashString } from "./election.ts";
import type { L2Status } from "./runtime.ts";

export const LEASE_PREFIX = "signalbox-speaker-";
export const NODE_LABEL = "signalbox.io/node";
/** Renew every RENEW_SECONDS; a Lease not renewed for LEASE_SECONDS is expired. */
export const RENEW_SECONDS = 2;
export const LEASE_SECONDS = 6;

/** `signalbox-speaker-<node>`, within the 253 characters of a DNS subdomain. */
export function speakerLeaseName(node: string): string {
  const name = `${LEASE_PREFIX}${node}`;
  if (name.length <= 253) return name;
  const h = hashString(node).toString(16).padStart(8, "0");
  return `${name.slice(0, 253 - 9).replace(/[.-]+$/, "")}-${h}`;
}

/** The Lease a speaker writes (create, then update `renewTime` every RENEW_SECONDS). */
export function speakerLease(node: string, incarnation: number, namespace: string, renewTime: Date) {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: speakerLeaseName(node),
      namespace,
      labels: { "app.kubernetes.io/component": "speaker", [NODE_LABEL]: node },
    },
    spec: {
      holderIdentity: `${node}/${(incarnation >>> 0).toString(16)}`,
      leaseDurationSeconds: LEASE_SECONDS,
      renewTime: renewTime.toISOString(),
    },
  };
}

/** The part of a coordination.k8s.io/v1 Lease read here; any field may be missing. */
export interface LeaseLike {
  readonly metadata?: {
    readonly name?: string;
    readonly labels?: Readonly<Record<string, string>> | null;
  } | null;
  readonly spec?: {
    readonly holderIdentity?: string | null;
    readonly renewTime?: string | Date | null;
    readonly leaseDurationSeconds?: number | null;
  } | null;
}

interface Seen {
  readonly node: string;
  readonly stamp: string;
  readonly renewedAt: number;
  readonly durationMs: number;
  readonly held: boolean;
}

export class LeaseEvidence implements LivenessArbiter {
  private readonly byLease = new Map<string, Seen>();
  private isSynced = false;
  private lastApiContact = Number.NEGATIVE_INFINITY;

  /** The informer has listed every Lease. */
  synced(now: number): void {
    this.isSynced = true;
    this.lastApiContact = now;
  }

  /** Any successful API exchange: a watch event, our own renewal. */
  apiReachable(now: number): void {
    this.lastApiContact = now;
  }

  /** A Lease was added or changed (watch event or list item). Leases of other components are ignored. */
  upsert(lease: LeaseLike, now: number): void {
    const name = lease.metadata?.name;
    if (typeof name !== "string" || !name.startsWith(LEASE_PREFIX)) return;
    this.lastApiContact = now;
    const label = lease.metadata?.labels?.[NODE_LABEL];
    const node = typeof label === "string" && label !== "" ? label : name.slice(LEASE_PREFIX.length);
    const holder = lease.spec?.holderIdentity;
    const renew = lease.spec?.renewTime;
    const stamp = `${holder ?? ""}@${renew instanceof Date ? renew.toISOString() : (renew ?? "")}`;
    const d = lease.spec?.leaseDurationSeconds;
    const durationMs = (typeof d === "number" && d > 0 ? d : LEASE_SECONDS) * 1000;
    const old = this.byLease.get(name);
    const held = typeof holder === "string" && holder !== "" && renew != null;
    // A renewal is a *change* we saw. On first sight we cannot know when the Lease was last
    // renewed, so it proves nothing until its next renewal (at most RENEW_SECONDS later).
    const renewedAt =
      old === undefined ? Number.NEGATIVE_INFINITY : old.stamp === stamp ? old.renewedAt : now;
    this.byLease.set(name, { node, stamp, renewedAt, durationMs, held });
  }

  remove(lease: LeaseLike | string, now: number): void {
    const name = typeof lease === "string" ? lease : lease.metadata?.name;
    if (typeof name === "string") this.byLease.delete(name);
    this.lastApiContact = now;
  }

  evidence(node: string, now: number): MemberEvidence {
    if (!this.isSynced) return { state: "unknown" };
    const s = [...this.byLease.values()].find((x) => x.node === node);
    if (s === undefined) return { state: "unknown" };
    // The watch is broken when nothing came for twice the Lease duration: we know nothing new.
    if (now - this.lastApiContact > 2 * s.durationMs) return { state: "unknown" };
    if (!s.held || now - s.renewedAt > s.durationMs) return { state: "expired" };
    return { state: "alive", renewedAt: s.renewedAt };
  }
}

/**
 * Whether the speaker should renew its Lease now (contract point 2): layer 2 is ready, has an
 * open port and no error, and the node is eligible for at least one address.
 */
export function shouldRenewLease(s: L2Status | undefined): boolean {
  if (s === undefined) return false;
  return s.ready && s.error === undefined && s.interfaces.some((i) => i.open) && s.addresses.length > 0;
}
