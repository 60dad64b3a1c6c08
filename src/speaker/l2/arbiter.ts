/**
 * What the Kubernetes API says about the other speakers: the arbiter of disagreements the
 * heartbeats cannot settle (README.md, "Split brain"). The heartbeats decide fast; the API
 * decides who is right when a node stops hearing a peer that is in fact alive.
 *
 * The Kubernetes implementation (src/cluster/kubernetes) keeps one Lease per speaker,
 * renewed by that speaker; this file holds only the interface, the standalone arbiter (no
 * API: heartbeats alone) and a fake for tests.
 */

export type MemberEvidence =
  /** No API (standalone), the API is unreachable, or no Lease was ever seen for this node. */
  | { readonly state: "unknown" }
  /**
   * The node's Lease is held and was last seen renewed at `renewedAt`, on *our* monotonic
   * clock (the time we observed the change of spec.renewTime, never the writer's clock).
   */
  | { readonly state: "alive"; readonly renewedAt: number }
  /** The Lease is gone, released (no holder), or was not renewed for its leaseDurationSeconds. */
  | { readonly state: "expired" };

export interface LivenessArbiter {
  /** Evidence about `node`'s speaker, as of our clock's `now`. Synchronous: read from a cache. */
  evidence(node: string, now: number): MemberEvidence;
}

/** Standalone: heartbeats alone decide. */
export const noArbiter: LivenessArbiter = { evidence: () => ({ state: "unknown" }) };

/** A hand-driven arbiter for tests. */
export class FakeArbiter implements LivenessArbiter {
  private readonly byNode = new Map<string, MemberEvidence>();

  set(node: string, e: MemberEvidence): void {
    this.byNode.set(node, e);
  }

  evidence(node: string): MemberEvidence {
    return this.byNode.get(node) ?? { state: "unknown" };
  }
}
