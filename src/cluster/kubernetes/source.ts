/**
 * KubernetesClusterSource: the ClusterSource of a speaker or controller in a cluster. Four
 * informers (ResilientInformer: relist on 410, restart with back-off on errors) — Services and
 * EndpointSlices in all namespaces, Nodes, and the one ConfigMap — and a snapshot assembled
 * from their caches whenever one of them changes.
 *
 * Changes are coalesced: a burst (1,000 Services created at once, a relist) becomes one
 * snapshot `coalesceMs` after its first change, so the planner runs once per burst, not once
 * per object. The gap also grows with the owner's work: the next snapshot waits at least as
 * long as handling the last one took, so handling never takes more than half the CPU while
 * a burst lasts and the process keeps up instead of falling behind. The first snapshot comes only when all four have listed: a partial view must
 * never drive a plan or an allocation (src/ipam/README.md, "Use from the controller").
 */

import type { V1EndpointSlice } from "@kubernetes/client-node";
import {
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1Node,
  type V1Service,
} from "@kubernetes/client-node";
import { compareStrings, objectKey } from "../objects.ts";
import type {
  ClusterSnapshot,
  ClusterSource,
  ConfigMapText,
  EndpointSliceLike,
  NodeLike,
  ServiceLike,
} from "../types.ts";
import { type InformerStatus, type InformerTimers, ResilientInformer } from "./informer.ts";

export interface KubernetesSourceOptions {
  readonly kubeConfig: KubeConfig;
  /** Where the ConfigMap lives, and its name (MetalLB: `metallb-system/config`). */
  readonly namespace: string;
  readonly configMapName: string;
  /** The key of the ConfigMap holding the YAML (MetalLB: `config`). */
  readonly configKey?: string;
  /** Default 20 ms. */
  readonly coalesceMs?: number;
  readonly timers?: InformerTimers;
  /** Each API error, already in words (no secrets: status codes and messages only). */
  readonly onError?: (message: string) => void;
}

export interface KubernetesSourceStatus {
  readonly api: string;
  readonly informers: readonly InformerStatus[];
  /** All informers listed at least once. */
  readonly synced: boolean;
  /** Every informer has a watch open right now. */
  readonly connected: boolean;
  readonly snapshots: number;
}

/** Sorted by `namespace/name`, each key computed once (not once per comparison). */
function sortedByKey<T extends { metadata: { namespace?: string; name: string } }>(xs: readonly T[]): T[] {
  const keyed = xs.map((o) => ({ k: objectKey(o), o }));
  keyed.sort((a, b) => compareStrings(a.k, b.k));
  return keyed.map((x) => x.o);
}

export class KubernetesClusterSource implements ClusterSource {
  readonly #opts: KubernetesSourceOptions;
  readonly #services: ResilientInformer<V1Service>;
  readonly #slices: ResilientInformer<V1EndpointSlice>;
  readonly #nodes: ResilientInformer<V1Node>;
  readonly #configMaps: ResilientInformer<V1ConfigMap>;
  readonly #timers: InformerTimers;
  #onChange: ((s: ClusterSnapshot) => void) | undefined;
  #pending: unknown;
  #started = false;
  #stopped = false;
  #snapshots = 0;
  /** How long the owner took with the last snapshot (ms). */
  #lastHandlingMs = 0;

  constructor(opts: KubernetesSourceOptions) {
    this.#opts = opts;
    this.#timers = opts.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
    const kc = opts.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const ns = encodeURIComponent(opts.namespace);
    const hooks = {
      onChange: () => this.#changed(),
      onError: (m: string) => opts.onError?.(m),
      ...(opts.timers ? { timers: opts.timers } : {}),
    };
    this.#services = new ResilientInformer(
      kc,
      { name: "services", path: "/api/v1/services", list: () => core.listServiceForAllNamespaces() },
      hooks,
    );
    this.#slices = new ResilientInformer(
      kc,
      {
        name: "endpointslices",
        path: "/apis/discovery.k8s.io/v1/endpointslices",
        list: () => discovery.listEndpointSliceForAllNamespaces(),
      },
      hooks,
    );
    this.#nodes = new ResilientInformer(
      kc,
      { name: "nodes", path: "/api/v1/nodes", list: () => core.listNode() },
      hooks,
    );
    const fieldSelector = `metadata.name=${opts.configMapName}`;
    this.#configMaps = new ResilientInformer(
      kc,
      {
        name: "configmap",
        path: `/api/v1/namespaces/${ns}/configmaps`,
        list: () => core.listNamespacedConfigMap({ namespace: opts.namespace, fieldSelector }),
        fieldSelector,
      },
      hooks,
    );
  }

  async start(onChange: (snapshot: ClusterSnapshot) => void): Promise<void> {
    this.#onChange = onChange;
    await Promise.all(this.#all().map((i) => i.start()));
    if (this.#stopped) return;
    this.#started = true;
    if (this.#pending !== undefined) this.#timers.clearTimeout(this.#pending);
    this.#pending = undefined;
    this.#deliver();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#pending !== undefined) this.#timers.clearTimeout(this.#pending);
    this.#pending = undefined;
    await Promise.all(this.#all().map((i) => i.stop()));
  }

  /** The current view, assembled now (also what the next onChange will carry if nothing changes). */
  snapshot(): ClusterSnapshot {
    const services = this.#services.objects() as unknown as ServiceLike[];
    const slices = this.#slices.objects() as unknown as EndpointSliceLike[];
    const nodes = this.#nodes.objects() as unknown as NodeLike[];
    return Object.freeze({
      configMap: this.#configMapText(),
      services: Object.freeze(sortedByKey(services)),
      nodes: Object.freeze([...nodes].sort((a, b) => compareStrings(a.metadata.name, b.metadata.name))),
      endpointSlices: Object.freeze(sortedByKey(slices)),
    });
  }

  status(): KubernetesSourceStatus {
    const informers = this.#all().map((i) => i.status());
    return {
      api: this.#opts.kubeConfig.getCurrentCluster()?.server ?? "unknown",
      informers,
      synced: informers.every((i) => i.synced),
      connected: informers.every((i) => i.watching),
      snapshots: this.#snapshots,
    };
  }

  #all() {
    return [this.#configMaps, this.#nodes, this.#services, this.#slices] as const;
  }

  #configMapText(): ConfigMapText | undefined {
    const cm = this.#configMaps.objects().find((c) => c.metadata?.name === this.#opts.configMapName);
    if (cm === undefined) return undefined;
    const origin = `${this.#opts.namespace}/${this.#opts.configMapName}`;
    const key = this.#opts.configKey ?? "config";
    const text = cm.data?.[key];
    // A ConfigMap without the key is a config error to report, not "no config yet".
    return { text: typeof text === "string" ? text : "", origin: `${origin} (data.${key})` };
  }

  #changed(): void {
    if (!this.#started || this.#stopped || this.#pending !== undefined) return;
    this.#pending = this.#timers.setTimeout(
      () => {
        this.#pending = undefined;
        this.#deliver();
      },
      Math.max(this.#opts.coalesceMs ?? 20, this.#lastHandlingMs),
    );
  }

  #deliver(): void {
    if (this.#stopped || this.#onChange === undefined) return;
    this.#snapshots++;
    const t0 = performance.now();
    this.#onChange(this.snapshot());
    this.#lastHandlingMs = performance.now() - t0;
  }
}
