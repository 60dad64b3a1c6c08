/**
 * The controller: Services in, `status.loadBalancer.ingress`, a pool annotation and events out.
 *
 *   snapshot ─ config (last good kept) ─ decide() (pure: reconcile + diff) ─ writes, events
 *
 * Every replica watches and decides; only the leader writes (`setLeader`). A pass (pure and
 * synchronous: a few milliseconds for thousands of Services) runs after each snapshot and
 * queues its writes; up to `concurrency` writes are in flight at once, and a pass never waits
 * for them, so a Service created during a burst is not held up by the burst before it. What is
 * queued or written is laid over the informer's view until the watch shows it
 * (`applyPending`), so no pass can hand an address out twice. A failed write is dropped from
 * that overlay and a pass runs again `retryMs` later, deciding afresh from what the API says.
 */
import type { ClusterSnapshot } from "../cluster/index.ts";
import { type ClusterWriter, describeApiError, isNotFound } from "../cluster/kubernetes/index.ts";
import { type ConfigChange, ConfigKeeper, type ConfigState } from "../config/keeper.ts";
import type { PoolStatus } from "../ipam/index.ts";
import type { Logger } from "../observe/logger.ts";
import { analyzeBalance, balanceEvents } from "../speaker/balance/index.ts";
import { announcementEvents, announcements } from "./announcements.ts";
import {
  type Allocation,
  applyPending,
  type ControllerPlan,
  decide,
  type Pending,
  POOL_ANNOTATION,
  type ServiceProblem,
  type StatusWrite,
} from "./decide.ts";

export interface ControllerOptions {
  readonly logger: Logger;
  readonly writer: ClusterWriter;
  readonly loadBalancerClass?: string;
  /** Writes in flight at once. Default 32. */
  readonly concurrency?: number;
  /** Retry delay after a failed write. Default 1000 ms. */
  readonly retryMs?: number;
  /** The ConfigMap, for events about it. */
  readonly configMap?: { readonly namespace: string; readonly name: string };
  /**
   * Quiet time before telling who announces each Service and how its traffic splits over
   * racks (one event per Service per change). Default 1000 ms; it grows with the work, so
   * the analysis never takes more than a fifth of the controller's time.
   */
  readonly tellDelayMs?: number;
}

/** A count that JSON can carry: a number while exact, else its decimal text. */
export type Count = number | string;
const count = (n: bigint): Count => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString());

export interface PoolReport {
  readonly name: string;
  readonly protocol: string | undefined;
  readonly autoAssign: boolean;
  readonly cidrs: readonly string[];
  readonly ipv4: { readonly size: Count; readonly used: number; readonly free: Count };
  readonly ipv6: { readonly size: Count; readonly used: number; readonly free: Count };
}

export interface ControllerStatus {
  readonly leader: boolean;
  readonly config: ConfigState;
  readonly pools: readonly PoolReport[];
  readonly services: readonly Allocation[];
  readonly problems: readonly {
    readonly service: string;
    readonly reason: string;
    readonly message: string;
  }[];
  readonly orphans: readonly { readonly service: string; readonly ip: string; readonly why: string }[];
  readonly writes: {
    readonly done: number;
    readonly failed: number;
    /** Decided, not yet answered by the API. */
    readonly queued: number;
    /** Written or queued, not yet seen back through the watch. */
    readonly pending: number;
    readonly lastError: string | undefined;
  };
  readonly passes: number;
  readonly allocationFailures: number;
}

export class Controller {
  readonly #o: ControllerOptions;
  readonly #log: Logger;
  readonly #config = new ConfigKeeper();
  #snapshot: ClusterSnapshot | undefined;
  #leader = false;
  /** Writes not yet issued, by Service (a newer decision replaces a queued one). */
  readonly #queue = new Map<string, StatusWrite>();
  #inFlight = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #pending = new Map<string, Pending>();
  #plan: ControllerPlan | undefined;
  /** The last problem told per Service, so each is told once (again when it changes). */
  #told = new Map<string, string>();
  #done = 0;
  #failed = 0;
  #lastError: string | undefined;
  #passes = 0;
  #allocationFailures = 0;
  #idle: (() => void)[] = [];
  #stopped = false;
  #tellTimer: ReturnType<typeof setTimeout> | undefined;
  #tellMs = 0;
  #toldAnnouncements = new Map<string, string>();
  #toldBalance = new Map<string, string>();

  constructor(o: ControllerOptions) {
    this.#o = o;
    this.#log = o.logger;
  }

  update(snapshot: ClusterSnapshot): void {
    this.#snapshot = snapshot;
    const change = this.#config.update(snapshot.configMap);
    this.#configChanged(change);
    this.#schedule();
  }

  setLeader(leading: boolean): void {
    if (leading === this.#leader) return;
    this.#leader = leading;
    this.#log.info({ leader: leading }, leading ? "became leader: writing allocations" : "standing by");
    if (!leading) {
      // Not ours to write any more: the new leader decides afresh from what the API says.
      this.#queue.clear();
      for (const [k, p] of this.#pending) if (p.resourceVersion === "") this.#pending.delete(k);
    }
    if (leading) {
      // What another leader told is not ours to remember; what we told before may be stale.
      this.#told.clear();
      this.#toldAnnouncements.clear();
      this.#toldBalance.clear();
      if (this.#config.state.state === "invalid") this.#configChanged("rejected");
      this.#schedule();
    }
  }

  /** Ready: a config is running and, as leader, the first pass is done. */
  ready(): boolean {
    if (this.#config.config === undefined) return false;
    return !this.#leader || this.#passes > 0;
  }

  /** Resolves when no pass is running or due (tests and shutdown). */
  idle(): Promise<void> {
    if (!this.#busy()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#tellTimer !== undefined) clearTimeout(this.#tellTimer);
    this.#tellTimer = undefined;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  status(): ControllerStatus {
    const plan = this.#plan ?? this.#preview();
    const protocols = new Map(this.#config.config?.addressPools.map((p) => [p.name, p.protocol]) ?? []);
    return {
      leader: this.#leader,
      config: this.#config.state,
      pools: (plan?.pools ?? []).map((p) => poolReport(p, protocols.get(p.pool))),
      services: plan?.allocations ?? [],
      problems: (plan?.problems ?? []).map((p) => ({
        service: p.service,
        reason: p.reason,
        message: p.message,
      })),
      orphans: plan?.orphans ?? [],
      writes: {
        done: this.#done,
        failed: this.#failed,
        queued: this.#queue.size + this.#inFlight,
        pending: this.#pending.size,
        lastError: this.#lastError,
      },
      passes: this.#passes,
      allocationFailures: this.#allocationFailures,
    };
  }

  /** Config health for metrics: loaded, stale, rejections. */
  configHealth() {
    return {
      loaded: this.#config.config !== undefined,
      stale: this.#config.stale,
      rejections: this.#config.rejections,
    };
  }

  /** A standby computes the same plan the leader would, for its status. */
  #preview(): ControllerPlan | undefined {
    const config = this.#config.config;
    if (config === undefined || this.#snapshot === undefined) return undefined;
    this.#plan = decide(config, this.#snapshot.services, this.#decideOptions());
    return this.#plan;
  }

  #decideOptions() {
    return this.#o.loadBalancerClass !== undefined ? { loadBalancerClass: this.#o.loadBalancerClass } : {};
  }

  #configChanged(change: ConfigChange): void {
    const state = this.#config.state;
    const cm = this.#o.configMap;
    if (change === "loaded" && state.state === "valid") {
      this.#log.info({ origin: state.origin, warnings: state.warnings }, "config loaded");
      if (this.#leader && cm)
        this.#o.writer.event({
          regarding: { kind: "ConfigMap", ...cm },
          type: "Normal",
          reason: "ConfigLoaded",
          message: `config loaded${state.warnings.length ? `; warnings: ${state.warnings.join("; ")}` : ""}`,
        });
    } else if (change === "rejected" && state.state === "invalid") {
      this.#log.error(
        { origin: state.origin, errors: state.errors, running: state.running },
        "config rejected",
      );
      if (this.#leader && cm)
        this.#o.writer.event({
          regarding: { kind: "ConfigMap", ...cm },
          type: "Warning",
          reason: "ConfigInvalid",
          message: `config rejected, ${state.running === "last-good" ? "the last good config runs on" : "no config runs"}: ${state.errors.join("; ")}`,
        });
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    if (!this.#leader) {
      this.#plan = undefined; // recomputed lazily by status()
      this.#wake();
      return;
    }
    if (this.#config.config === undefined || this.#snapshot === undefined) return;
    try {
      const { services, pending } = applyPending(this.#snapshot.services, this.#pending);
      this.#pending = pending;
      const plan = decide(this.#config.config, services, this.#decideOptions());
      this.#plan = plan;
      this.#tellProblems(plan.problems);
      for (const w of plan.writes) {
        this.#queue.set(w.service, w);
        // Queued counts as written: the next pass must not choose again for this Service.
        this.#pending.set(w.service, { ingress: w.ingress, pool: w.pool, resourceVersion: "", uid: w.uid });
      }
      this.#passes++;
      this.#scheduleTell();
    } catch (e) {
      // A bug must not stop the loop: log it and try again later.
      this.#log.error({ err: e }, "controller pass failed");
      this.#retryLater();
    }
    this.#pump();
    this.#wake();
  }

  #scheduleTell(): void {
    if (this.#tellTimer !== undefined || this.#stopped) return;
    const delay = Math.max(this.#o.tellDelayMs ?? 1000, 4 * this.#tellMs);
    this.#tellTimer = setTimeout(() => {
      this.#tellTimer = undefined;
      const t0 = performance.now();
      try {
        this.#tellAnnouncements();
      } catch (e) {
        this.#log.error({ err: e }, "telling announcements failed");
      }
      this.#tellMs = performance.now() - t0;
    }, delay);
  }

  /** One event per Service when who announces it changes, and rack-balance warnings (issue #8). */
  #tellAnnouncements(): void {
    const config = this.#config.config;
    const snapshot = this.#snapshot;
    if (!this.#leader || config === undefined || snapshot === undefined) return;
    const opts = this.#decideOptions();
    const list = announcements(config, snapshot, opts);
    const a = announcementEvents(this.#toldAnnouncements, list);
    this.#toldAnnouncements = a.told;
    for (const e of a.events) {
      const x = e.announcement;
      this.#o.writer.event({
        regarding: { kind: "Service", namespace: x.namespace, name: x.name, uid: x.uid },
        type: e.type,
        reason: e.reason,
        message: e.message,
      });
    }
    const report = analyzeBalance(config, snapshot, opts);
    const b = balanceEvents(this.#toldBalance, report);
    this.#toldBalance = b.told;
    const byKey = new Map(list.map((x) => [x.service, x]));
    for (const e of b.events) {
      const x = byKey.get(e.service);
      if (x === undefined) continue;
      if (e.type === "Warning") this.#log.warn({ service: e.service }, e.message);
      this.#o.writer.event({
        regarding: { kind: "Service", namespace: x.namespace, name: x.name, uid: x.uid },
        type: e.type,
        reason: e.reason,
        message: e.message,
      });
    }
  }

  #retryLater(): void {
    if (this.#retry !== undefined || this.#stopped) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#schedule();
    }, this.#o.retryMs ?? 1000);
  }

  #pump(): void {
    while (
      this.#inFlight < (this.#o.concurrency ?? 32) &&
      this.#queue.size > 0 &&
      this.#leader &&
      !this.#stopped
    ) {
      const [key, w] = this.#queue.entries().next().value!;
      this.#queue.delete(key);
      this.#inFlight++;
      void this.#writeOne(w).finally(() => {
        this.#inFlight--;
        this.#pump();
        this.#wake();
      });
    }
  }

  #wake(): void {
    if (this.#busy()) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const w of waiters) w();
  }

  #busy(): boolean {
    return this.#inFlight > 0 || (this.#queue.size > 0 && this.#leader && !this.#stopped);
  }

  #tellProblems(problems: readonly ServiceProblem[]): void {
    const now = new Set<string>();
    for (const p of problems) {
      now.add(p.service);
      if (this.#told.get(p.service) === p.message) continue;
      this.#told.set(p.service, p.message);
      if (p.reason === "AllocationFailed") this.#allocationFailures++;
      this.#log.warn({ service: p.service, reason: p.reason }, `${p.service}: ${p.message}`);
      this.#o.writer.event({
        regarding: { kind: "Service", namespace: p.namespace, name: p.name, uid: p.uid },
        type: "Warning",
        reason: p.reason,
        message: p.message,
      });
    }
    for (const k of [...this.#told.keys()]) if (!now.has(k)) this.#told.delete(k);
  }

  async #writeOne(w: StatusWrite): Promise<boolean> {
    const writer = this.#o.writer;
    try {
      const annotations = w.pool !== undefined ? { [POOL_ANNOTATION]: w.pool } : undefined;
      const rv = await writer.patchServiceStatus(w.namespace, w.name, w.ingress, annotations);
      const p = this.#pending.get(w.service);
      if (p !== undefined && p.resourceVersion === "" && p.ingress === w.ingress)
        this.#pending.set(w.service, { ...p, resourceVersion: rv });
      this.#done++;
      if (w.statusChanged) this.#told.delete(w.service);
      this.#tellWrite(w);
      return true;
    } catch (e) {
      if (isNotFound(e)) return true; // deleted meanwhile: nothing to write
      this.#failed++;
      this.#lastError = `${w.service}: ${describeApiError(e)}`;
      // Decide again from what the API says, a little later.
      if (this.#pending.get(w.service)?.resourceVersion === "") this.#pending.delete(w.service);
      this.#retryLater();
      this.#log.warn({ service: w.service, error: describeApiError(e) }, "status write failed; will retry");
      return false;
    }
  }

  #tellWrite(w: StatusWrite): void {
    if (!w.statusChanged) return;
    const ref = { kind: "Service" as const, namespace: w.namespace, name: w.name, uid: w.uid };
    const ips = w.ingress.join(", ");
    if (w.why === "released") {
      this.#log.info(
        { service: w.service, released: w.previous },
        `${w.service}: released ${w.previous.join(", ")}`,
      );
      this.#o.writer.event({
        regarding: ref,
        type: "Normal",
        reason: "IPReleased",
        message: `released ${w.previous.join(", ")}: no longer type LoadBalancer`,
      });
      return;
    }
    const pool = w.pool ?? this.#plan?.allocations.find((a) => a.service === w.service)?.pool;
    const message =
      w.why === "allocated"
        ? `assigned ${ips} from pool ${pool ?? "?"}`
        : `changed ${w.previous.join(", ") || "nothing"} to ${ips} (pool ${pool ?? "?"})`;
    this.#log.info(
      { service: w.service, ips: w.ingress, pool, previous: w.previous },
      `${w.service}: ${message}`,
    );
    this.#o.writer.event({ regarding: ref, type: "Normal", reason: "IPAllocated", message });
  }
}

function poolReport(p: PoolStatus, protocol: string | undefined): PoolReport {
  const fam = (f: { capacity: bigint; inUse: number }) => ({
    size: count(f.capacity),
    used: f.inUse,
    free: count(f.capacity - BigInt(f.inUse)),
  });
  return {
    name: p.pool,
    protocol,
    autoAssign: p.autoAssign,
    cidrs: p.prefixes.map((x) => x.toString()),
    ipv4: fam(p.ipv4),
    ipv6: fam(p.ipv6),
  };
}
