/**
 * Which peers are alive, from their heartbeats and the arbiter's evidence. Pure: time is an
 * argument; the runtime feeds heartbeats in and asks for the live set.
 *
 * A peer counts as alive for the election when its last heartbeat is younger than the hold
 * time it announced, it said it is ready, and it did not say it is leaving. A peer we stopped
 * hearing is `suspect`, and out of the election at once: that is the fast takeover. If the
 * arbiter then shows its Lease renewed *after* we began to suspect it (plus a margin that
 * covers a renewal made before the death and seen late), the peer is alive and only our
 * layer-2 path to it is broken: it is `disputed` and counts as alive again, so we yield.
 */
import type { Heartbeat } from "../../../protocol/l2/index.ts";
import type { LivenessArbiter } from "./arbiter.ts";

export type MemberState =
  /** Heard within its hold time, ready. */
  | "alive"
  /** Heard, but still warming up (not a candidate yet). */
  | "warming"
  /** Said it is leaving (graceful shutdown). */
  | "left"
  /** Not heard within its hold time; no evidence it is alive. */
  | "suspect"
  /** Not heard, but the API shows it alive: counted alive (we yield to it). */
  | "disputed";

export interface Member {
  readonly node: string;
  readonly incarnation: number;
  readonly lastHeard: number;
  readonly holdMs: number;
  readonly intervalMs: number;
  readonly ready: boolean;
  readonly leaving: boolean;
  /** Interfaces its heartbeats arrive on, with when (our clock). */
  readonly via: ReadonlyMap<string, number>;
  /** Heartbeats received, and those received out of order or repeated (by sequence). */
  readonly received: number;
  readonly lost: number;
  readonly lastSequence: number;
}

export interface MemberView {
  readonly node: string;
  readonly state: MemberState;
  readonly counted: boolean;
  readonly lastHeardMsAgo: number;
  readonly via: readonly string[];
}

export interface MembersSettings {
  /** A renewal must be seen this long after suspicion began to overrule the heartbeats. */
  readonly disputeMarginMs: number;
}

export const defaultMembersSettings: MembersSettings = { disputeMarginMs: 1000 };

export class Members {
  private readonly members = new Map<string, Member>();
  private readonly self: string;
  private readonly settings: MembersSettings;

  constructor(self: string, settings: MembersSettings = defaultMembersSettings) {
    this.self = self;
    this.settings = settings;
  }

  /**
   * Records a heartbeat. Returns true when the peer's election standing may have changed
   * (first heard, back after a silence, ready or leaving changed, new incarnation).
   */
  heard(hb: Heartbeat, ifname: string, now: number): boolean {
    if (hb.node === this.self) return false; // another host using our name: ignored (counted by the caller)
    const old = this.members.get(hb.node);
    const via = new Map(old?.via ?? []);
    via.set(ifname, now);
    let lost = old?.lost ?? 0;
    if (old !== undefined && old.incarnation === hb.incarnation) {
      const gap = (hb.sequence - old.lastSequence) >>> 0;
      if (gap === 0 || gap > 0x7fffffff) {
        // The same heartbeat on a second interface, or a late one: only where it came from is news.
        this.members.set(hb.node, { ...old, via });
        return false;
      }
      lost += gap - 1;
    }
    const m: Member = {
      node: hb.node,
      incarnation: hb.incarnation,
      lastHeard: now,
      holdMs: hb.holdMs,
      intervalMs: hb.intervalMs,
      ready: hb.ready,
      leaving: hb.leaving,
      via,
      received: (old?.received ?? 0) + 1,
      lost,
      lastSequence: hb.sequence,
    };
    this.members.set(hb.node, m);
    if (old === undefined) return true;
    return (
      old.ready !== m.ready ||
      old.leaving !== m.leaving ||
      old.incarnation !== m.incarnation ||
      now - old.lastHeard > old.holdMs
    );
  }

  /** The state of one peer at `now`. */
  stateOf(m: Member, now: number, arbiter: LivenessArbiter): MemberState {
    if (m.leaving) return "left";
    if (now - m.lastHeard <= m.holdMs) return m.ready ? "alive" : "warming";
    const e = arbiter.evidence(m.node, now);
    const suspectSince = m.lastHeard + m.holdMs;
    if (e.state === "alive" && e.renewedAt > suspectSince + this.settings.disputeMarginMs) return "disputed";
    return "suspect";
  }

  /**
   * Peers counted alive for the election. Only nodes heard at least once count: a node whose
   * heartbeats never reach us is not on our segment, whatever the API says, and the
   * addresses it is home for must be answered here by someone who is.
   */
  alive(now: number, arbiter: LivenessArbiter): Set<string> {
    const out = new Set<string>();
    for (const m of this.members.values()) {
      const s = this.stateOf(m, now, arbiter);
      if (s === "alive" || s === "disputed") out.add(m.node);
    }
    return out;
  }

  /** The earliest time after `now` at which some peer's state changes by silence alone. */
  nextExpiry(now: number): number | undefined {
    let next: number | undefined;
    for (const m of this.members.values()) {
      const t = m.lastHeard + m.holdMs;
      if (t >= now && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  views(now: number, arbiter: LivenessArbiter): MemberView[] {
    return [...this.members.values()]
      .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
      .map((m) => {
        const state = this.stateOf(m, now, arbiter);
        return {
          node: m.node,
          state,
          counted: state === "alive" || state === "disputed",
          lastHeardMsAgo: Math.round(now - m.lastHeard),
          via: [...m.via.entries()].filter(([, t]) => now - t <= m.holdMs).map(([i]) => i),
        };
      });
  }

  get(node: string): Member | undefined {
    return this.members.get(node);
  }
}
