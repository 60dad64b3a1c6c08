/**
 * Service → allocation request. This is the edge where text becomes values: annotations and
 * spec fields are parsed here, and every problem comes back as a `RequestError` value (all of
 * them at once), never as a throw. Below this file there are no string IPs.
 *
 * Annotations (ours first; MetalLB's current and deprecated spellings are accepted unchanged):
 * - `signalbox.io/loadBalancerIPs`, `metallb.io/loadBalancerIPs`,
 *   `metallb.universe.tf/loadBalancerIPs`: comma list, at most one IP per family. Using it
 *   together with `spec.loadBalancerIP` is an error, as in MetalLB.
 * - `signalbox.io/address-pool`, `metallb.io/address-pool`, `metallb.universe.tf/address-pool`
 * - `signalbox.io/allow-shared-ip`, `metallb.io/allow-shared-ip`,
 *   `metallb.universe.tf/allow-shared-ip`: the sharing key.
 * Several spellings of one annotation must agree. An empty value counts as absent (MetalLB).
 */
import { type Family, IpAddress } from "../../protocol/ip/index.ts";
import { heldAddresses, type ServiceLike, serviceKey } from "../cluster/service.ts";
import type { HeldService } from "./allocator.ts";
import type { AllocationRequest, IpFamilyPolicy, ServiceKey, ServicePort, Sharing } from "./types.ts";

export { heldAddresses, type ServiceLike, serviceKey };

export const ANNOTATIONS = {
  loadBalancerIPs: [
    "signalbox.io/loadBalancerIPs",
    "metallb.io/loadBalancerIPs",
    "metallb.universe.tf/loadBalancerIPs",
  ],
  addressPool: ["signalbox.io/address-pool", "metallb.io/address-pool", "metallb.universe.tf/address-pool"],
  allowSharedIp: [
    "signalbox.io/allow-shared-ip",
    "metallb.io/allow-shared-ip",
    "metallb.universe.tf/allow-shared-ip",
  ],
} as const;

export type RequestErrorCode =
  | "invalid-ip"
  | "conflicting-annotations"
  | "ip-and-annotation"
  | "too-many-ips"
  | "duplicate-family"
  | "family-mismatch"
  | "policy-mismatch"
  | "invalid-ip-family"
  | "invalid-family-policy"
  | "invalid-port";

export interface RequestError {
  /** Where: `spec.loadBalancerIP`, `metadata.annotations[metallb.universe.tf/loadBalancerIPs]`, … */
  readonly field: string;
  readonly code: RequestErrorCode;
  readonly message: string;
}

export interface RequestOptions {
  /**
   * The `spec.loadBalancerClass` this controller serves. Unset: only Services without a
   * class (MetalLB without `--lb-class`); set: only Services of exactly that class.
   */
  readonly loadBalancerClass?: string;
}

export type ServiceRequest =
  | { readonly kind: "request"; readonly request: AllocationRequest; readonly held: readonly IpAddress[] }
  | {
      readonly kind: "skip";
      readonly service: ServiceKey;
      readonly why: "not-load-balancer" | "other-class";
      readonly held: readonly IpAddress[];
    }
  | {
      readonly kind: "invalid";
      readonly service: ServiceKey;
      readonly errors: readonly RequestError[];
      /**
       * What to restore for this Service: the addresses it holds, under a request built from
       * the parts that did parse. Restore it so nobody takes its IPs; do not `assign` it.
       */
      readonly restore: HeldService;
    };

function annotation(
  svc: ServiceLike,
  names: readonly string[],
  errors: RequestError[],
): { value: string; field: string } | undefined {
  const ann = svc.metadata.annotations;
  if (ann === null || typeof ann !== "object") return undefined;
  let found: { value: string; field: string } | undefined;
  for (const name of names) {
    const raw = ann[name];
    if (typeof raw !== "string" || raw.trim() === "") continue;
    const value = raw.trim();
    const field = `metadata.annotations[${name}]`;
    if (found === undefined) found = { value, field };
    else if (found.value !== value) {
      errors.push({
        field,
        code: "conflicting-annotations",
        message: `"${value}" disagrees with ${found.field} "${found.value}"`,
      });
    }
  }
  return found;
}

const FAMILY_NAMES: Readonly<Record<string, Family>> = { IPv4: 4, IPv6: 6 };
const POLICIES: readonly IpFamilyPolicy[] = ["SingleStack", "PreferDualStack", "RequireDualStack"];

/** MetalLB's backend key: equal only for Services that may share under the traffic-policy rule. */
function backendKey(svc: ServiceLike): string {
  if (svc.spec?.externalTrafficPolicy !== "Local") return "Cluster";
  const sel = svc.spec.selector ?? {};
  const labels = Object.keys(sel)
    .sort()
    .map((k) => `${k}=${sel[k]}`)
    .join(",");
  return `Local:${labels}`;
}

function ports(svc: ServiceLike, errors: RequestError[]): ServicePort[] {
  const raw = svc.spec?.ports;
  if (!Array.isArray(raw)) return [];
  const out: ServicePort[] = [];
  raw.forEach((p, i) => {
    const port = p?.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      errors.push({
        field: `spec.ports[${i}].port`,
        code: "invalid-port",
        message: `${String(port)} is not a port`,
      });
      return;
    }
    out.push({ protocol: typeof p.protocol === "string" && p.protocol !== "" ? p.protocol : "TCP", port });
  });
  return out;
}

/**
 * Maps a Service to what it asks of the allocator. Not a LoadBalancer, or another
 * controller's class: `skip`. Any bad field or annotation: `invalid` with every error.
 */
export function serviceRequest(svc: ServiceLike, options: RequestOptions = {}): ServiceRequest {
  // Service objects never change in place (a change is a new object): read each one once per
  // class, not on every allocation pass.
  const cls = options.loadBalancerClass ?? "";
  let perClass = requestCache.get(svc);
  const hit = perClass?.get(cls);
  if (hit !== undefined) return hit;
  const r = readRequest(svc, options);
  if (perClass === undefined) {
    perClass = new Map();
    requestCache.set(svc, perClass);
  }
  perClass.set(cls, r);
  return r;
}

const requestCache = new WeakMap<object, Map<string, ServiceRequest>>();

function readRequest(svc: ServiceLike, options: RequestOptions): ServiceRequest {
  const service = serviceKey(svc);
  const held = heldAddresses(svc);
  const spec = svc.spec ?? {};
  if (spec.type !== "LoadBalancer") return { kind: "skip", service, why: "not-load-balancer", held };
  const cls = typeof spec.loadBalancerClass === "string" ? spec.loadBalancerClass : undefined;
  if (cls !== options.loadBalancerClass) return { kind: "skip", service, why: "other-class", held };

  const errors: RequestError[] = [];

  // Families and policy.
  let policy: IpFamilyPolicy = "SingleStack";
  if (spec.ipFamilyPolicy !== undefined) {
    if (POLICIES.includes(spec.ipFamilyPolicy as IpFamilyPolicy))
      policy = spec.ipFamilyPolicy as IpFamilyPolicy;
    else
      errors.push({
        field: "spec.ipFamilyPolicy",
        code: "invalid-family-policy",
        message: `"${String(spec.ipFamilyPolicy)}" is not one of ${POLICIES.join(", ")}`,
      });
  }
  const families: Family[] = [];
  if (Array.isArray(spec.ipFamilies)) {
    spec.ipFamilies.forEach((name, i) => {
      const f = FAMILY_NAMES[name];
      const field = `spec.ipFamilies[${i}]`;
      if (f === undefined)
        errors.push({ field, code: "invalid-ip-family", message: `"${String(name)}" is not IPv4 or IPv6` });
      else if (families.includes(f))
        errors.push({ field, code: "invalid-ip-family", message: `${name} is listed twice` });
      else families.push(f);
    });
  }
  if (policy === "SingleStack" && families.length > 1) {
    errors.push({
      field: "spec.ipFamilies",
      code: "policy-mismatch",
      message: "two families need ipFamilyPolicy PreferDualStack or RequireDualStack",
    });
  }

  // Requested IPs.
  const addresses: IpAddress[] = [];
  const list = annotation(svc, ANNOTATIONS.loadBalancerIPs, errors);
  const single =
    typeof spec.loadBalancerIP === "string" && spec.loadBalancerIP !== "" ? spec.loadBalancerIP : undefined;
  if (list !== undefined && single !== undefined) {
    errors.push({
      field: list.field,
      code: "ip-and-annotation",
      message: "spec.loadBalancerIP and a loadBalancerIPs annotation may not be used together",
    });
  }
  const texts =
    list !== undefined
      ? list.value.split(",").map((t, i) => ({ t: t.trim(), field: `${list.field}[${i}]` }))
      : single !== undefined
        ? [{ t: single.trim(), field: "spec.loadBalancerIP" }]
        : [];
  for (const { t, field } of texts) {
    const a = IpAddress.parse(t);
    if (a === undefined) {
      errors.push({ field, code: "invalid-ip", message: `"${t}" is not an IP address` });
      continue;
    }
    if (addresses.some((b) => b.family === a.family)) {
      errors.push({
        field,
        code: "duplicate-family",
        message: `a second IPv${a.family} address (one per family)`,
      });
      continue;
    }
    if (families.length > 0 && !families.includes(a.family)) {
      errors.push({ field, code: "family-mismatch", message: `IPv${a.family} is not in spec.ipFamilies` });
      continue;
    }
    addresses.push(a);
  }
  if (texts.length > 2) {
    errors.push({
      field: list?.field ?? "spec.loadBalancerIP",
      code: "too-many-ips",
      message: "at most two IPs, one per family",
    });
  }
  if (addresses.length === 2 && policy === "SingleStack") {
    errors.push({
      field: list?.field ?? "spec.loadBalancerIP",
      code: "policy-mismatch",
      message: "two IPs need ipFamilyPolicy PreferDualStack or RequireDualStack",
    });
  }
  if (addresses.length === 1 && policy === "RequireDualStack") {
    errors.push({
      field: list?.field ?? "spec.loadBalancerIP",
      code: "policy-mismatch",
      message: "RequireDualStack needs one IPv4 and one IPv6 address",
    });
  }

  if (families.length === 0) {
    if (addresses.length > 0) families.push(...addresses.map((a) => a.family));
    else if (policy === "SingleStack") families.push(4);
    else families.push(4, 6);
  }

  const pool = annotation(svc, ANNOTATIONS.addressPool, errors)?.value;
  const key = annotation(svc, ANNOTATIONS.allowSharedIp, errors)?.value;
  const portList = ports(svc, errors);
  const sharing: Sharing | undefined =
    key === undefined ? undefined : { key, ports: portList, backend: backendKey(svc) };

  const request: AllocationRequest = { service, families, policy, addresses, pool, sharing };
  if (errors.length === 0) return { kind: "request", request, held };
  // Fallback for restore: keep the parts that parsed, drop the specific IPs.
  return {
    kind: "invalid",
    service,
    errors,
    restore: {
      request: { ...request, addresses: [], policy: families.length > 1 ? "PreferDualStack" : "SingleStack" },
      held,
    },
  };
}
