/**
 * One kind of object, listed and watched through @kubernetes/client-node's ListWatch, kept
 * alive through everything the API does:
 *
 * - a watch the server closes (its timeout, or 30 s of silence on our side): resumed from the
 *   last resourceVersion (ListWatch does this);
 * - 410 Gone, the resourceVersion compacted away: a full relist, and objects that vanished
 *   meanwhile are reported deleted (ListWatch does this too);
 * - any error (API server down, connection refused, 5xx, 403): ListWatch stops and tells us;
 *   we start it again after a back-off of 0.5 s doubling to 30 s, reset once a list or an
 *   event gets through. Until then the last objects stay as they were: an outage never
 *   empties the view (the speaker keeps announcing).
 */
import { type KubeConfig, type KubernetesObject, ListWatch, Watch } from "@kubernetes/client-node";

export interface KindSpec<T extends KubernetesObject> {
  /** For messages and status: `services`, `nodes`, … */
  readonly name: string;
  /** The list/watch path, e.g. `/api/v1/services`. */
  readonly path: string;
  readonly list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
}

export interface InformerStatus {
  readonly kind: string;
  /** The first list completed: the view is complete (and later only gets fresher). */
  readonly synced: boolean;
  /** A watch is open now. */
  readonly watching: boolean;
  readonly objects: number;
  /** Times the list+watch was restarted after an error. */
  readonly restarts: number;
  /** Full lists: the first, and one after each 410 Gone or restart without a usable resourceVersion. */
  readonly lists: number;
  readonly lastError: string | undefined;
}

export interface InformerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: InformerTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export const BACKOFF_FIRST_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

/** The error's words for status and logs: HTTP status and message, never a body or header. */
export function describeApiError(e: unknown): string {
  if (e === null || typeof e !== "object") return String(e);
  const o = e as { statusCode?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  const status =
    typeof o.statusCode === "number" ? o.statusCode : typeof o.code === "number" ? o.code : undefined;
  let msg = typeof o.message === "string" ? o.message.split("\n")[0]! : String(e);
  const cause = o.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause.code === "string") msg += ` (${cause.code})`;
  if (msg.length > 200) msg = `${msg.slice(0, 200)}…`;
  return status !== undefined ? `HTTP ${status}: ${msg}` : msg;
}

export class ResilientInformer<T extends KubernetesObject> {
  readonly #spec: KindSpec<T>;
  readonly #lw: ListWatch<T>;
  readonly #timers: InformerTimers;
  readonly #onChange: () => void;
  readonly #onError: (message: string) => void;
  #synced = false;
  #watching = false;
  #stopped = true;
  #restarts = 0;
  #lists = 0;
  #lastError: string | undefined;
  #backoffMs = BACKOFF_FIRST_MS;
  #retry: unknown;
  /** Errors reported so far: #run compares before and after ListWatch.start to see if it failed. */
  #errors = 0;
  /** Resolves `start()`: on the first successful list, or on stop. */
  #settle: (() => void) | undefined;

  constructor(
    kc: KubeConfig,
    spec: KindSpec<T>,
    opts: {
      onChange: () => void;
      onError: (message: string) => void;
      /** Each object as it arrives (after the informer's cache took it). */
      onObject?: (verb: "add" | "update" | "delete", obj: T) => void;
      timers?: InformerTimers;
    },
  ) {
    this.#spec = spec;
    this.#timers = opts.timers ?? systemTimers;
    this.#onChange = opts.onChange;
    this.#onError = opts.onError;
    const list = () => {
      this.#lists++;
      return spec.list();
    };
    this.#lw = new ListWatch<T>(
      spec.path,
      new Watch(kc),
      list,
      false,
      spec.labelSelector,
      spec.fieldSelector,
    );
    for (const verb of ["add", "update", "delete"] as const) {
      this.#lw.on(verb, (obj: T) => {
        this.#healthy();
        opts.onObject?.(verb, obj);
        this.#onChange();
      });
    }
    this.#lw.on("error", (e: unknown) => this.#failed(e));
  }

  /** Lists and starts watching; resolves when the first list succeeded (retrying until then) or on stop. */
  async start(): Promise<void> {
    this.#stopped = false;
    const settled = new Promise<void>((resolve) => {
      this.#settle = resolve;
    });
    await this.#run();
    if (this.#synced) this.#settle?.();
    await settled;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#settle?.();
    if (this.#retry !== undefined) this.#timers.clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#watching = false;
    await this.#lw.stop();
  }

  objects(): readonly T[] {
    return this.#lw.list();
  }

  status(): InformerStatus {
    return {
      kind: this.#spec.name,
      synced: this.#synced,
      watching: this.#watching,
      objects: this.#lw.list().length,
      restarts: this.#restarts,
      lists: this.#lists,
      lastError: this.#lastError,
    };
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    const before = this.#errors;
    await this.#lw.start();
    // ListWatch.start resolves once the list (if one was needed) and the watch request went
    // through, or after it reported an error.
    if (this.#errors === before && !this.#stopped) {
      this.#watching = true;
      const first = !this.#synced;
      this.#synced = true;
      this.#healthy();
      // An empty first list fires no add events; the owner still needs to hear "synced".
      if (first) {
        this.#settle?.();
        this.#onChange();
      }
    }
  }

  #healthy(): void {
    this.#backoffMs = BACKOFF_FIRST_MS;
  }

  #failed(e: unknown): void {
    this.#errors++;
    this.#watching = false;
    if (this.#stopped) return;
    this.#lastError = describeApiError(e);
    this.#onError(`${this.#spec.name}: ${this.#lastError}; retrying in ${this.#backoffMs} ms`);
    if (this.#retry !== undefined) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, BACKOFF_MAX_MS);
    this.#retry = this.#timers.setTimeout(() => {
      this.#retry = undefined;
      this.#restarts++;
      void this.#run();
    }, delay);
  }
}
