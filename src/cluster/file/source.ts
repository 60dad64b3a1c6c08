/**
 * FileClusterSource: the standalone ClusterSource. It reads a folder of Kubernetes manifests
 * (README.md in src/cluster says which) and delivers a new snapshot whenever their content
 * changes. Changes are noticed by `fs.watch` on the folder, debounced so that a burst of
 * writes becomes one scan, and by a periodic rescan, which catches what watching misses
 * (editors that replace files, network filesystems, a folder that was briefly gone).
 *
 * A file that cannot be read or parsed keeps its last good content and is reported as a
 * SourceProblem; the other files are unaffected. Time is injected (`timers`) for tests.
 */
import { type FSWatcher, watch } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import type { ClusterSnapshot, ClusterSource } from "../types.ts";
import { isManifestName, type ManifestObject, readManifestFile } from "./manifests.ts";
import { problemKey, type SourceProblem } from "./problems.ts";
import { assemble, fingerprint } from "./snapshot.ts";

/** The timer functions the source uses; the globals by default. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

export interface FileSourceOptions {
  /** The folder. Only its own files count (no subfolders). */
  readonly dir: string;
  /** Quiet time after a watch event before scanning, in ms. Default 100. */
  readonly debounceMs?: number;
  /** Full rescan period in ms; 0 turns it off. Default 2000. */
  readonly rescanMs?: number;
  /** Watch the folder (default true). Without it, only the periodic rescan notices changes. */
  readonly watch?: boolean;
  readonly timers?: Timers;
  /**
   * Called once for each new problem (not again while it persists; again if it goes away and
   * comes back). `problems()` gives the current list at any time.
   */
  readonly onError?: (problem: SourceProblem) => void;
}

/** The folder could not be read when starting. */
export class ManifestFolderError extends Error {
  override readonly name = "ManifestFolderError";
  readonly dir: string;
  constructor(dir: string, cause: unknown) {
    super(`cannot read the manifest folder ${dir}: ${errorCode(cause)}`, { cause });
    this.dir = dir;
  }
}

interface FileState {
  /** The text last read; undefined when reading failed. */
  readonly text: string | undefined;
  /** The last good objects (empty if the file never parsed). */
  readonly objects: readonly ManifestObject[];
  readonly problems: readonly SourceProblem[];
}

function errorCode(e: unknown): string {
  if (e !== null && typeof e === "object" && "code" in e && typeof e.code === "string") return e.code;
  return e instanceof Error ? e.message : String(e);
}

export class FileClusterSource implements ClusterSource {
  readonly #dir: string;
  readonly #debounceMs: number;
  readonly #rescanMs: number;
  readonly #watch: boolean;
  readonly #timers: Timers;
  readonly #onError: ((p: SourceProblem) => void) | undefined;

  #onChange: ((s: ClusterSnapshot) => void) | undefined;
  #started = false;
  #stopped = false;
  #watcher: FSWatcher | undefined;
  #debounce: unknown;
  #interval: unknown;
  /** The scan in progress (or the last one), so scans never overlap. */
  #running: Promise<void> = Promise.resolve();
  /** A scan asked for but not yet started: further requests join it. */
  #queued: Promise<void> | undefined;

  readonly #files = new Map<string, FileState>();
  #folderProblem: SourceProblem | undefined;
  #fileProblems: readonly SourceProblem[] = [];
  #problems: readonly SourceProblem[] = [];
  #snapshot: ClusterSnapshot | undefined;
  #fingerprint: string | undefined;

  constructor(options: FileSourceOptions) {
    this.#dir = options.dir;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#rescanMs = options.rescanMs ?? 2000;
    this.#watch = options.watch ?? true;
    this.#timers = options.timers ?? systemTimers;
    this.#onError = options.onError;
  }

  /** Reads the folder, delivers the first snapshot, then watches. Rejects with ManifestFolderError if the folder cannot be read. */
  async start(onChange: (snapshot: ClusterSnapshot) => void): Promise<void> {
    if (this.#started) throw new Error("FileClusterSource already started");
    this.#started = true;
    try {
      await readdir(this.#dir);
    } catch (e) {
      this.#stopped = true;
      throw new ManifestFolderError(this.#dir, e);
    }
    this.#onChange = onChange;
    await this.rescan();
    if (this.#stopped) return;
    this.#ensureWatcher();
    if (this.#rescanMs > 0)
      this.#interval = this.#timers.setInterval(() => void this.rescan(), this.#rescanMs);
  }

  /** Stops watching; resolves when no scan is running. No `onChange` after this resolves. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#debounce !== undefined) this.#timers.clearTimeout(this.#debounce);
    if (this.#interval !== undefined) this.#timers.clearInterval(this.#interval);
    this.#debounce = undefined;
    this.#interval = undefined;
    this.#watcher?.close();
    this.#watcher = undefined;
    await this.#running;
  }

  /** Scans now (after any scan in progress); resolves when done. Delivers a snapshot only if something changed. */
  rescan(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const run = this.#running.then(async () => {
      this.#queued = undefined;
      if (this.#stopped) return;
      try {
        await this.#scanOnce();
      } catch (e) {
        // A bug, not bad input: say so and carry on with the last snapshot.
        this.#setProblems([...this.#problems, { file: "", message: `scan failed: ${errorCode(e)}` }]);
      }
    });
    this.#queued = run;
    this.#running = run;
    return run;
  }

  /** Current problems, sorted by file. */
  problems(): readonly SourceProblem[] {
    return this.#problems;
  }

  /** The last snapshot delivered. */
  snapshot(): ClusterSnapshot | undefined {
    return this.#snapshot;
  }

  #ensureWatcher(): void {
    if (!this.#watch || this.#watcher !== undefined || this.#stopped) return;
    try {
      const w = watch(this.#dir, { persistent: true }, () => this.#changed());
      w.on("error", (e) => {
        // E.g. the folder was removed. Rescans carry on and re-create the watcher when it is back.
        w.close();
        if (this.#watcher === w) this.#watcher = undefined;
        this.#folderProblem = { file: "", message: `watching stopped: ${errorCode(e)}` };
        this.#changed();
      });
      this.#watcher = w;
    } catch (e) {
      this.#folderProblem = { file: "", message: `cannot watch the folder: ${errorCode(e)}` };
    }
  }

  /** A watch event: scan once the burst is over (at most one timer armed at a time). */
  #changed(): void {
    if (this.#stopped || this.#debounce !== undefined) return;
    this.#debounce = this.#timers.setTimeout(() => {
      this.#debounce = undefined;
      void this.rescan();
    }, this.#debounceMs);
  }

  async #scanOnce(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.#dir)).filter(isManifestName).sort();
      this.#folderProblem = undefined;
    } catch (e) {
      // The folder is gone or unreadable: keep everything as it was (as an API outage would).
      // A watch on a removed folder stays silent forever; drop it so the folder's return gets a new one.
      this.#watcher?.close();
      this.#watcher = undefined;
      this.#folderProblem = {
        file: "",
        message: `cannot read the folder: ${errorCode(e)}; the last snapshot stays`,
      };
      this.#publishProblems();
      return;
    }
    this.#ensureWatcher();

    const present = new Set<string>();
    for (const name of names) {
      const prev = this.#files.get(name);
      let text: string;
      try {
        text = await readFile(`${this.#dir}/${name}`, "utf8");
      } catch (e) {
        const code = errorCode(e);
        if (code === "ENOENT" || code === "EISDIR") continue; // removed meanwhile, or a folder
        present.add(name);
        this.#files.set(name, {
          text: undefined,
          objects: prev?.objects ?? [],
          problems: [{ file: name, message: `cannot read: ${code}${keeping(prev)}` }],
        });
        continue;
      }
      present.add(name);
      if (prev !== undefined && prev.text === text) continue; // unchanged: same objects, same problems
      const r = readManifestFile(name, text);
      if (r.ok) this.#files.set(name, { text, objects: r.objects, problems: [] });
      else
        this.#files.set(name, {
          text,
          objects: prev?.objects ?? [],
          problems: r.problems.map((p, i) =>
            i === 0 ? { ...p, message: `${p.message}${keeping(prev)}` } : p,
          ),
        });
    }
    for (const name of [...this.#files.keys()]) if (!present.has(name)) this.#files.delete(name);

    const byFile = new Map<string, readonly ManifestObject[]>();
    for (const [name, st] of this.#files) byFile.set(name, st.objects);
    const assembled = assemble(byFile);
    let snapshot = assembled.snapshot;
    if (!assembled.configMapDecided && this.#snapshot !== undefined)
      snapshot = Object.freeze({ ...snapshot, configMap: this.#snapshot.configMap });

    const problems: SourceProblem[] = [];
    for (const st of this.#files.values()) problems.push(...st.problems);
    problems.push(...assembled.problems);
    this.#publishProblems(problems);

    const fp = fingerprint(snapshot);
    if (fp === this.#fingerprint || this.#stopped) return;
    this.#fingerprint = fp;
    this.#snapshot = snapshot;
    try {
      this.#onChange?.(snapshot);
    } catch (e) {
      this.#setProblems([...this.#problems, { file: "", message: `onChange failed: ${errorCode(e)}` }]);
    }
  }

  #publishProblems(fromScan?: readonly SourceProblem[]): void {
    if (fromScan !== undefined) this.#fileProblems = fromScan;
    const all =
      this.#folderProblem === undefined
        ? [...this.#fileProblems]
        : [this.#folderProblem, ...this.#fileProblems];
    this.#setProblems(all);
  }

  #setProblems(next: readonly SourceProblem[]): void {
    const before = new Set(this.#problems.map(problemKey));
    const sorted = [...next].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    this.#problems = Object.freeze(sorted);
    for (const p of sorted) {
      if (before.has(problemKey(p))) continue;
      try {
        this.#onError?.(p);
      } catch {
        // A failing reporter must not stop the source.
      }
    }
  }
}

function keeping(prev: FileState | undefined): string {
  return prev !== undefined && prev.objects.length > 0
    ? "; its last good content stays in force"
    : "; the file is ignored until it is fixed";
}
