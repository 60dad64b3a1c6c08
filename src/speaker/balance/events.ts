/**
 * Kubernetes Events for rack balance, for whoever writes events on Services. Pure: what was
 * told before (Service key → message) and a report in; the events to write and the new `told`
 * out. An uneven Service gets a Warning `UnevenECMP` when its warning text appears or changes;
 * one that was warned about and no longer is gets a Normal `EvenECMP`. Nothing is told twice.
 *
 * The analysis is the same on every node (one cluster, one config), so one writer should tell
 * it: the controller's leader (no `teller`), or, among the speakers, the one on the Service's
 * first announcing node by name (`teller` = this node's name) — a choice every speaker makes
 * alike without talking to the others, and that moves on by itself when that node stops
 * announcing (the new teller tells the standing warning once more).
 */
import type { BalanceReport } from "./analyze.ts";

export interface BalanceEvent {
  /** `namespace/name` of the Service. */
  readonly service: string;
  readonly type: "Warning" | "Normal";
  readonly reason: "UnevenECMP" | "EvenECMP";
  readonly message: string;
}

export function balanceEvents(
  told: ReadonlyMap<string, string>,
  report: BalanceReport,
  teller?: string,
): { events: BalanceEvent[]; told: Map<string, string> } {
  const next = new Map<string, string>();
  const events: BalanceEvent[] = [];
  for (const s of report.services) {
    if (teller !== undefined && s.nodes[0]?.node !== teller) continue;
    if (s.warning === undefined) {
      if (told.has(s.service))
        events.push({
          service: s.service,
          type: "Normal",
          reason: "EvenECMP",
          message: `ECMP split is within the threshold again: ${s.summary}`,
        });
      continue;
    }
    next.set(s.service, s.warning);
    if (told.get(s.service) !== s.warning)
      events.push({ service: s.service, type: "Warning", reason: "UnevenECMP", message: s.warning });
  }
  return { events, told: next };
}
