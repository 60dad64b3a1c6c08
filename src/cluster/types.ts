/**
 * What a speaker or controller sees of the cluster: one immutable snapshot at a time, fed by a
 * ClusterSource (the Kubernetes API, or a folder of manifests on a standalone host).
 *
 * The object types are plain-JSON subsets of the real API objects, exactly as they arrive:
 * any field may be missing, null or of the wrong type, and readers must cope (the helpers in
 * objects.ts do). Nothing here is validated beyond "has a name".
 */
import type { ServiceLike } from "./service.ts";

export type { ServiceLike };

/** The part of a v1.Node we read. */
export interface NodeLike {
  readonly metadata: {
    readonly name: string;
    readonly labels?: Readonly<Record<string, string>> | null;
  };
  readonly spec?: {
    /** `kubectl cordon`: set before a drain. */
    readonly unschedulable?: boolean | null;
  } | null;
  readonly status?: {
    /** We read `NetworkUnavailable` and `Ready`; status is "True", "False" or "Unknown". */
    readonly conditions?: readonly NodeConditionLike[] | null;
  } | null;
}

export interface NodeConditionLike {
  readonly type?: string;
  readonly status?: string;
}

/** The part of a discovery.k8s.io/v1 EndpointSlice we read. */
export interface EndpointSliceLike {
  readonly metadata: {
    readonly namespace?: string;
    readonly name: string;
    /** `kubernetes.io/service-name` ties the slice to its Service (same namespace). */
    readonly labels?: Readonly<Record<string, string>> | null;
  };
  /** "IPv4", "IPv6" or "FQDN". */
  readonly addressType?: string;
  readonly endpoints?: readonly EndpointLike[] | null;
}

export interface EndpointLike {
  readonly addresses?: readonly string[] | null;
  /** Kubernetes: a nil `ready` or `serving` means true (unknown state counts as ready); nil `terminating` means false. */
  readonly conditions?: {
    readonly ready?: boolean | null;
    readonly serving?: boolean | null;
    readonly terminating?: boolean | null;
  } | null;
  readonly nodeName?: string | null;
}

/** The MetalLB ConfigMap's config, as text for `parseConfig`, and where it came from (for messages). */
export interface ConfigMapText {
  /** A ConfigMap manifest or the bare `data.config` YAML; `parseConfig` takes either. */
  readonly text: string;
  /** Human-readable origin: `metallb-system/config`, or `config.yaml (document 2)`. */
  readonly origin: string;
}

/**
 * One consistent view of the cluster. Lists are sorted (Services and EndpointSlices by
 * namespace/name, Nodes by name) and frozen, so equal contents give deep-equal snapshots.
 */
export interface ClusterSnapshot {
  /** Undefined: no ConfigMap found (yet). */
  readonly configMap: ConfigMapText | undefined;
  readonly services: readonly ServiceLike[];
  readonly nodes: readonly NodeLike[];
  readonly endpointSlices: readonly EndpointSliceLike[];
}

/**
 * Feeds snapshots in. `start` resolves once the first snapshot has been delivered (an initial
 * `onChange` always happens, even for an empty cluster); later calls come only when something
 * changed. After `stop` resolves, `onChange` is never called again and the source holds no
 * timers, watchers or sockets.
 */
export interface ClusterSource {
  start(onChange: (snapshot: ClusterSnapshot) => void): Promise<void>;
  stop(): Promise<void>;
}
