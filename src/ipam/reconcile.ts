import { Allocator, type HeldService, type RestoreReport } from "./allocator.ts";
import { type RequestError, type RequestOptions, type ServiceLike, serviceRequest } from "./request.ts";
import type { AllocationFailure, AllocatorOptions, Assignment, IpamPool, ServiceKey } from "./types.ts";

export interface ReconcileResult {
  /** What every Service should hold after this pass, in key order. */
  readonly assignments: readonly Assignment[];
  /** Services whose request could not be met; `kept` is what they still hold. */
  readonly failures: readonly {
    readonly service: ServiceKey;
    readonly failure: AllocationFailure;
    readonly kept: Assignment | undefined;
  }[];
  /** Services with bad fields or annotations: nothing changes for them. */
  readonly invalid: readonly { readonly service: ServiceKey; readonly errors: readonly RequestError[] }[];
  readonly restore: RestoreReport;
  /** The allocator after the pass, for incremental use. */
  readonly allocator: Allocator;
}

/**
 * One full allocation pass as a pure function of the pools and ALL Services: restore every
 * held address first, then assign in key order. Same input, same output, whatever the order
 * of `services`.
 */
export function reconcile(
  pools: readonly IpamPool[],
  services: readonly ServiceLike[],
  options: RequestOptions & AllocatorOptions = {},
): ReconcileResult {
  const held: HeldService[] = [];
  const requests = [];
  const invalid: { service: ServiceKey; errors: readonly RequestError[] }[] = [];
  for (const svc of services) {
    const r = serviceRequest(svc, options);
    if (r.kind === "request") {
      held.push({ request: r.request, held: r.held });
      requests.push(r.request);
    } else if (r.kind === "invalid") {
      held.push(r.restore);
      invalid.push({ service: r.service, errors: r.errors });
    }
  }
  const { allocator, report } = Allocator.restore(pools, held, options);
  requests.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  const failures: { service: ServiceKey; failure: AllocationFailure; kept: Assignment | undefined }[] = [];
  for (const req of requests) {
    const r = allocator.assign(req);
    if (!r.ok)
      failures.push({ service: req.service, failure: r.error, kept: allocator.assignmentOf(req.service) });
  }
  invalid.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  return { assignments: allocator.assignments(), failures, invalid, restore: report, allocator };
}
