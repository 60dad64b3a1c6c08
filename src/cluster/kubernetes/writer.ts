/**
 * Writes to the API: Service status and annotations (merge patches), and core/v1 Events, which
 * `kubectl describe` shows. Events go through a bounded queue that drops the oldest when full
 * and skips a repeat of the same (object, reason, message) within `repeatWindowMs`: events are
 * a courtesy, and must never delay or crowd out the status writes that route traffic.
 */
import { CoreV1Api, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { describeApiError } from "./informer.ts";

export interface ObjectRef {
  readonly kind: "Service" | "ConfigMap" | "Node";
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string | undefined;
}

export interface EventSpec {
  readonly regarding: ObjectRef;
  readonly type: "Normal" | "Warning";
  /** UpperCamelCase, as Kubernetes reasons are: `IPAllocated`, `AllocationFailed`, `ConfigInvalid`. */
  readonly reason: string;
  readonly message: string;
}

/** The API writes the controller and speakers make; `KubernetesWriter` is the real one. */
export interface ClusterWriter {
  /**
   * Replaces `status.loadBalancer.ingress` and sets (string) or removes (null) annotations, in
   * one merge patch of the status subresource (it keeps metadata changes and ignores spec), so
   * an allocation costs one write. Returns the Service's new resourceVersion.
   */
  patchServiceStatus(
    namespace: string,
    name: string,
    ingress: readonly string[],
    annotations?: Readonly<Record<string, string | null>>,
  ): Promise<string>;
  /** Queues an event; never throws. */
  event(e: EventSpec): void;
}

/** The API said 404: the object is gone (deleted meanwhile). */
export function isNotFound(e: unknown): boolean {
  return (e as { code?: number } | null)?.code === 404;
}

const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export interface WriterOptions {
  readonly kubeConfig: KubeConfig;
  /** `source.component` of events: `signalbox-controller`, `signalbox-speaker`. */
  readonly component: string;
  /** `reportingInstance`: pod or node name. */
  readonly instance: string;
  readonly onError?: (message: string) => void;
  readonly maxQueuedEvents?: number;
  readonly eventConcurrency?: number;
  readonly repeatWindowMs?: number;
  readonly now?: () => number;
}

export class KubernetesWriter implements ClusterWriter {
  readonly #o: WriterOptions;
  readonly #core: CoreV1Api;
  readonly #queue: EventSpec[] = [];
  readonly #recent = new Map<string, number>();
  #inFlight = 0;
  #sent = 0;
  #dropped = 0;
  #failed = 0;

  constructor(o: WriterOptions) {
    this.#o = o;
    this.#core = o.kubeConfig.makeApiClient(CoreV1Api);
  }

  async patchServiceStatus(
    namespace: string,
    name: string,
    ingress: readonly string[],
    annotations?: Readonly<Record<string, string | null>>,
  ): Promise<string> {
    const body = {
      ...(annotations ? { metadata: { annotations } } : {}),
      status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } },
    };
    const svc = await this.#core.patchNamespacedServiceStatus({ name, namespace, body }, MERGE);
    return svc.metadata?.resourceVersion ?? "";
  }

  event(e: EventSpec): void {
    const now = (this.#o.now ?? Date.now)();
    const key = `${e.regarding.kind}/${e.regarding.namespace ?? ""}/${e.regarding.name}/${e.reason}/${e.message}`;
    const last = this.#recent.get(key);
    if (last !== undefined && now - last < (this.#o.repeatWindowMs ?? 10 * 60_000)) return;
    this.#recent.set(key, now);
    if (this.#recent.size > 10_000) this.#recent.delete(this.#recent.keys().next().value!);
    this.#queue.push(e);
    if (this.#queue.length > (this.#o.maxQueuedEvents ?? 5000)) {
      this.#queue.shift();
      this.#dropped++;
    }
    this.#pump();
  }

  stats() {
    return { sent: this.#sent, queued: this.#queue.length, dropped: this.#dropped, failed: this.#failed };
  }

  #pump(): void {
    while (this.#inFlight < (this.#o.eventConcurrency ?? 4) && this.#queue.length > 0) {
      const e = this.#queue.shift()!;
      this.#inFlight++;
      this.#create(e)
        .then(
          () => this.#sent++,
          (err) => {
            this.#failed++;
            this.#o.onError?.(
              `event ${e.reason} on ${e.regarding.kind} ${e.regarding.name}: ${describeApiError(err)}`,
            );
          },
        )
        .finally(() => {
          this.#inFlight--;
          this.#pump();
        });
    }
  }

  async #create(e: EventSpec): Promise<void> {
    const namespace = e.regarding.namespace ?? "default";
    const now = new Date();
    await this.#core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${e.regarding.name}.`, namespace },
        involvedObject: {
          kind: e.regarding.kind,
          apiVersion: "v1",
          namespace: e.regarding.kind === "Node" ? undefined : namespace,
          name: e.regarding.name,
          ...(e.regarding.uid ? { uid: e.regarding.uid } : {}),
        },
        type: e.type,
        reason: e.reason,
        message: e.message.length > 1000 ? `${e.message.slice(0, 999)}…` : e.message,
        source: { component: this.#o.component, host: this.#o.instance },
        reportingComponent: `signalbox.io/${this.#o.component}`,
        reportingInstance: this.#o.instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }
}
