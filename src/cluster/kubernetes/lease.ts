/**
 * Leader election on a coordination.k8s.io/v1 Lease, the way client-go's leaderelection does
 * it (same defaults: lease 15 s, renew deadline 10 s, retry every 2 s):
 *
 * - the holder renews `renewTime` every retry period; a candidate takes the Lease over only
 *   when `renewTime + leaseDurationSeconds` has passed (by its own clock: clocks are not
 *   compared across nodes — a Lease seen unchanged for a whole duration counts as expired);
 * - every write carries the resourceVersion read, so two candidates cannot both win (the
 *   API server rejects the second with 409 Conflict);
 * - a leader that cannot renew for the renew deadline stops leading before anyone else may
 *   start (renew deadline < lease duration), so two leaders never act at once;
 * - on a graceful stop the leader releases the Lease (empty holder), so the standby takes over
 *   at its next retry instead of waiting out the lease.
 *
 * `leaseDecision` is the pure part; `LeaderElector` does the I/O.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { describeApiError } from "./informer.ts";

export interface LeaseView {
  readonly holder: string | undefined;
  readonly durationSeconds: number;
  readonly transitions: number;
  /** When this process first saw the Lease with its current holder and renewTime (its own clock, ms). */
  readonly observedAtMs: number;
}

export type LeaseDecision =
  | { readonly action: "create" }
  | { readonly action: "renew" }
  | { readonly action: "acquire"; readonly reason: "released" | "expired" }
  | { readonly action: "wait"; readonly holder: string; readonly expiresInMs: number };

/** Pure: what `identity` should do with the Lease as seen, at `nowMs` (its own clock). */
export function leaseDecision(lease: LeaseView | undefined, identity: string, nowMs: number): LeaseDecision {
  if (lease === undefined) return { action: "create" };
  if (lease.holder === identity) return { action: "renew" };
  if (lease.holder === undefined || lease.holder === "") return { action: "acquire", reason: "released" };
  const expiresInMs = lease.observedAtMs + lease.durationSeconds * 1000 - nowMs;
  if (expiresInMs <= 0) return { action: "acquire", reason: "expired" };
  return { action: "wait", holder: lease.holder, expiresInMs };
}

export interface LeaderElectorOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly now?: () => number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: (why: string) => void;
  readonly onError?: (message: string) => void;
}

export interface LeaderStatus {
  readonly lease: string;
  readonly identity: string;
  readonly leading: boolean;
  readonly holder: string | undefined;
  readonly transitions: number;
  readonly lastError: string | undefined;
}

export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  readonly #api: CoordinationV1Api;
  readonly #now: () => number;
  #leading = false;
  #stopped = true;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastRenewMs = 0;
  #seen: { key: string; atMs: number } | undefined;
  #holder: string | undefined;
  #transitions = 0;
  #lastError: string | undefined;

  constructor(o: LeaderElectorOptions) {
    this.#o = o;
    this.#api = o.kubeConfig.makeApiClient(CoordinationV1Api);
    this.#now = o.now ?? (() => performance.now());
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#stopped = false;
    void this.#tick();
  }

  /** Stops campaigning; a leader releases the Lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#leading) return;
    this.#lose("stopping");
    try {
      const lease = await this.#api.readNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace });
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1 };
      await this.#api.replaceNamespacedLease({
        name: this.#o.name,
        namespace: this.#o.namespace,
        body: lease,
      });
    } catch (e) {
      this.#o.onError?.(`releasing lease ${this.#o.name}: ${describeApiError(e)}`);
    }
  }

  status(): LeaderStatus {
    return {
      lease: `${this.#o.namespace}/${this.#o.name}`,
      identity: this.#o.identity,
      leading: this.#leading,
      holder: this.#holder,
      transitions: this.#transitions,
      lastError: this.#lastError,
    };
  }

  get #duration(): number {
    return this.#o.leaseDurationSeconds ?? 15;
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#attempt();
      this.#lastError = undefined;
    } catch (e) {
      this.#lastError = describeApiError(e);
      this.#o.onError?.(`lease ${this.#o.name}: ${this.#lastError}`);
    }
    // client-go: a leader that could not renew within the renew deadline steps down.
    if (this.#leading && this.#now() - this.#lastRenewMs > (this.#o.renewDeadlineMs ?? 10_000))
      this.#lose("could not renew the lease within the renew deadline");
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#o.retryPeriodMs ?? 2000);
  }

  async #attempt(): Promise<void> {
    const { name, namespace, identity } = this.#o;
    let lease: V1Lease | undefined;
    try {
      lease = await this.#api.readNamespacedLease({ name, namespace });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    const now = this.#now();
    const view = lease ? this.#view(lease, now) : undefined;
    const d = leaseDecision(view, identity, now);
    this.#holder = view?.holder;
    this.#transitions = view?.transitions ?? 0;
    const wall = new V1MicroTime(Date.now());
    if (d.action === "wait") {
      if (this.#leading) this.#lose(`lease held by ${d.holder}`);
      return;
    }
    if (d.action === "create") {
      await this.#api.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: this.#duration,
            acquireTime: wall,
            renewTime: wall,
            leaseTransitions: 0,
          },
        },
      });
    } else {
      const spec = lease!.spec ?? {};
      const taking = d.action === "acquire";
      lease!.spec = {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: this.#duration,
        renewTime: wall,
        ...(taking ? { acquireTime: wall, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
      };
      // Carries metadata.resourceVersion: a concurrent writer gets 409 Conflict.
      await this.#api.replaceNamespacedLease({ name, namespace, body: lease! });
    }
    this.#lastRenewMs = this.#now();
    this.#holder = identity;
    if (!this.#leading) {
      this.#leading = true;
      this.#o.onStartedLeading();
    }
  }

  #view(lease: V1Lease, now: number): LeaseView {
    const s = lease.spec ?? {};
    const key = `${s.holderIdentity ?? ""}|${s.renewTime ? new Date(s.renewTime).getTime() : ""}|${lease.metadata?.resourceVersion ?? ""}`;
    if (this.#seen === undefined || this.#seen.key !== key) this.#seen = { key, atMs: now };
    return {
      holder: s.holderIdentity,
      durationSeconds: s.leaseDurationSeconds ?? this.#duration,
      transitions: s.leaseTransitions ?? 0,
      observedAtMs: this.#seen.atMs,
    };
  }

  #lose(why: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.onStoppedLeading(why);
  }
}
