import type { Prefix } from "../../../protocol/ip/index.ts";
import { prefixKey, type Route, sameRoute } from "./route.ts";

export interface RibChange {
  /** Routes new or with changed attributes: to announce (an announcement replaces, RFC 4271 §3.1). */
  readonly announce: readonly Route[];
  /** Prefixes no longer wanted: to withdraw. */
  readonly withdraw: readonly Prefix[];
}

/**
 * Adj-RIB-Out (RFC 4271 §3.2): the routes this session has advertised to its peer. Setting
 * a new desired set yields only the difference, so only what changed goes on the wire.
 */
export class AdjRibOut {
  private routes = new Map<number | string, Route>();

  get size(): number {
    return this.routes.size;
  }

  all(): Route[] {
    return [...this.routes.values()];
  }

  count(family: 4 | 6): number {
    let n = 0;
    for (const r of this.routes.values()) if (r.prefix.family === family) n++;
    return n;
  }

  /** Replaces the contents with `desired`; returns what must be sent to get there. */
  replace(desired: readonly Route[]): RibChange {
    const next = new Map<number | string, Route>();
    for (const r of desired) next.set(prefixKey(r.prefix), r);
    const announce: Route[] = [];
    const withdraw: Prefix[] = [];
    for (const [k, r] of next) {
      const old = this.routes.get(k);
      if (old === undefined || !sameRoute(old, r)) announce.push(r);
    }
    for (const [k, r] of this.routes) if (!next.has(k)) withdraw.push(r.prefix);
    this.routes = next;
    return { announce, withdraw };
  }
}
