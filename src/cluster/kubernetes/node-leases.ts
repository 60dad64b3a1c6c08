/**
 * Per-node Leases (coordination.k8s.io/v1) in one namespace: each speaker renews its own and
 * watches everyone's. The layer-2 arbiter (src/speaker/l2/lease-evidence.ts, README "Split
 * brain") reads them as proof that a peer whose heartbeats it stopped hearing is alive; what
 * to write and when is the owner's call (`renewBody`, `shouldRenew`), this file only does I/O.
 *
 * Renewal is a merge patch of the Lease's spec (each speaker writes only its own Lease, so
 * there is no one to conflict with), creating the Lease on 404; releasing empties the holder.
 */
import {
  CoordinationV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Lease,
} from "@kubernetes/client-node";
import { describeApiError, type InformerStatus, ResilientInformer } from "./informer.ts";

const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export interface NodeLeaseOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** Which Leases to watch, e.g. `app.kubernetes.io/component=speaker`. */
  readonly labelSelector: string;
  /** Our own Lease as it should be now (metadata.name, labels, spec); undefined: do not renew now. */
  readonly renewBody: () => V1Lease | undefined;
  readonly renewEveryMs: number;
  /** Our clock (monotonic), for the callbacks below. */
  readonly now?: () => number;
  readonly onLease: (verb: "add" | "update" | "delete", lease: V1Lease, now: number) => void;
  readonly onSynced: (now: number) => void;
  /** After each successful renewal of our own Lease. */
  readonly onRenewed: (now: number) => void;
  readonly onError?: (message: string) => void;
}

export class NodeLeases {
  readonly #o: NodeLeaseOptions;
  readonly #api: CoordinationV1Api;
  readonly #informer: ResilientInformer<V1Lease>;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = true;
  #held: string | undefined;
  #renewals = 0;
  #lastError: string | undefined;

  constructor(o: NodeLeaseOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => performance.now());
    this.#api = o.kubeConfig.makeApiClient(CoordinationV1Api);
    const ns = encodeURIComponent(o.namespace);
    this.#informer = new ResilientInformer<V1Lease>(
      o.kubeConfig,
      {
        name: "leases",
        path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
        list: () => this.#api.listNamespacedLease({ namespace: o.namespace, labelSelector: o.labelSelector }),
        labelSelector: o.labelSelector,
      },
      {
        onChange: () => {},
        onObject: (verb, lease) => o.onLease(verb, lease, this.#now()),
        onError: (m) => o.onError?.(m),
      },
    );
  }

  /** Starts renewing at once and watching; resolves when the first list is in. */
  async start(): Promise<void> {
    this.#stopped = false;
    void this.#tick();
    await this.#informer.start();
    if (!this.#stopped) this.#o.onSynced(this.#now());
  }

  /** Stops renewing and watching; releases our Lease (empty holder) so peers need not wait it out. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#informer.stop();
    if (this.#held === undefined) return;
    try {
      await this.#api.patchNamespacedLease(
        { name: this.#held, namespace: this.#o.namespace, body: { spec: { holderIdentity: null } } },
        MERGE,
      );
    } catch (e) {
      this.#o.onError?.(`releasing lease ${this.#held}: ${describeApiError(e)}`);
    }
  }

  status(): {
    informer: InformerStatus;
    renewals: number;
    held: string | undefined;
    lastError: string | undefined;
  } {
    return {
      informer: this.#informer.status(),
      renewals: this.#renewals,
      held: this.#held,
      lastError: this.#lastError,
    };
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const body = this.#o.renewBody();
    if (body !== undefined) {
      try {
        await this.#renew(body);
        this.#renewals++;
        this.#lastError = undefined;
        this.#o.onRenewed(this.#now());
      } catch (e) {
        this.#lastError = describeApiError(e);
        this.#o.onError?.(`renewing lease ${body.metadata?.name}: ${this.#lastError}`);
      }
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#tick(), this.#o.renewEveryMs);
  }

  async #renew(body: V1Lease): Promise<void> {
    const name = body.metadata!.name!;
    const namespace = this.#o.namespace;
    try {
      await this.#api.patchNamespacedLease({ name, namespace, body: { spec: body.spec } }, MERGE);
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
      await this.#api.createNamespacedLease({
        namespace,
        body: { ...body, metadata: { ...body.metadata, namespace } },
      });
    }
    this.#held = name;
  }
}
