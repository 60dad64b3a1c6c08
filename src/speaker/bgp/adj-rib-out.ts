import type { Prefix } from "../../../protocol/ip/index.ts";
import { type Route, sameRoute } from "./route.ts";

export interface RibChange {
  /** Routes new or with changed attributes: to announce (an announcement replaces, RFC 4271 §3.1). */
  readonly announce: readonly Route[];
  /** Prefixes no longer wanted: to withdraw. */
  readonly withdraw: readonly Prefix[];
}

const byPrefix = (a: Route, b: Route) => a.prefix.compare(b.prefix);

/** The routes sorted by prefix, without copying when they already are (plan() sorts them). */
function sorted(routes: readonly Route[]): readonly Route[] {
  for (let i = 1; i < routes.length; i++) {
    if (byPrefix(routes[i - 1]!, routes[i]!) > 0) return [...routes].sort(byPrefix);
  }
  return routes;
}

/**
 * Adj-RIB-Out (RFC 4271 §3.2): the routes this session has advertised to its peer, kept as
 * an array sorted by prefix — usually the very array the speaker handed over, so a table of
 * 100 000 routes costs no second copy and no hash map. Setting a new desired set yields only
 * the difference (a merge of two sorted lists), so only what changed goes on the wire.
 */
export class AdjRibOut {
  private routes: readonly Route[] = [];
  private v4 = 0;

  get size(): number {
    return this.routes.length;
  }

  all(): readonly Route[] {
    return this.routes;
  }

  count(family: 4 | 6): number {
    return family === 4 ? this.v4 : this.routes.length - this.v4;
  }

  /** Replaces the contents with `desired`; returns what must be sent to get there. */
  replace(desired: readonly Route[]): RibChange {
    const next = sorted(desired);
    const prev = this.routes;
    const announce: Route[] = [];
    const withdraw: Prefix[] = [];
    let i = 0;
    let j = 0;
    while (i < prev.length || j < next.length) {
      const c = i === prev.length ? 1 : j === next.length ? -1 : byPrefix(prev[i]!, next[j]!);
      if (c < 0) withdraw.push(prev[i++]!.prefix);
      else if (c > 0) announce.push(next[j++]!);
      else {
        // The same prefix twice in `desired` is one route: the last one wins.
        while (j + 1 < next.length && byPrefix(next[j]!, next[j + 1]!) === 0) j++;
        if (!sameRoute(prev[i]!, next[j]!)) announce.push(next[j]!);
        i++;
        j++;
      }
    }
    this.routes = next;
    let v4 = 0;
    for (const r of next) if (r.prefix.family === 4) v4++;
    this.v4 = v4;
    return { announce, withdraw };
  }
}
