/**
 * The Service as signalbox reads it: a plain-JSON subset of Kubernetes v1.Service where
 * anything may be missing or wrong, and the two facts everyone needs from it.
 */
import { IpAddress } from "../../protocol/ip/index.ts";

/** The fields of a v1.Service that the allocator, the planner and the sources read. */
export interface ServiceLike {
  readonly metadata: {
    readonly namespace?: string;
    readonly name: string;
    readonly annotations?: Readonly<Record<string, string>> | null;
    /** Set by the API server; absent in standalone manifests. */
    readonly uid?: string;
    readonly resourceVersion?: string;
  };
  readonly spec?: {
    readonly type?: string;
    readonly loadBalancerIP?: string;
    readonly ipFamilies?: readonly string[];
    readonly ipFamilyPolicy?: string;
    readonly ports?: readonly { readonly protocol?: string; readonly port: number; readonly name?: string }[];
    readonly externalTrafficPolicy?: string;
    readonly loadBalancerClass?: string;
    readonly selector?: Readonly<Record<string, string>> | null;
  };
  readonly status?: {
    readonly loadBalancer?: {
      readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string }[];
    };
  };
}

/** `namespace/name`, the Service's key everywhere in signalbox. */
export function serviceKey(svc: ServiceLike): string {
  return `${svc.metadata.namespace || "default"}/${svc.metadata.name}`;
}

/**
 * Parsed once per Service object: the objects in a snapshot never change (a change is a new
 * object), and every plan and allocation pass asks again for every Service.
 */
const heldCache = new WeakMap<object, readonly IpAddress[]>();

/** The addresses `status.loadBalancer.ingress` says the Service holds (hostnames and junk are skipped). */
export function heldAddresses(svc: ServiceLike): IpAddress[] {
  const cached = heldCache.get(svc);
  if (cached !== undefined) return [...cached];
  const ingress = svc.status?.loadBalancer?.ingress;
  const out: IpAddress[] = [];
  if (Array.isArray(ingress)) {
    for (const i of ingress) {
      const a = typeof i?.ip === "string" ? IpAddress.parse(i.ip) : undefined;
      if (a !== undefined && !out.some((b) => b.equals(a))) out.push(a);
    }
  }
  heldCache.set(svc, out);
  return [...out];
}
