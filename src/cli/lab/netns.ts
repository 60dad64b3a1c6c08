/**
 * The lab's small door to network namespaces: create them, link them, run bounded commands
 * and long-running processes inside them, and remove everything again.
 *
 * Names: every namespace is `sbxlab-<6 hex digits>-<short name>`, so concurrent labs (and the
 * network tests' `sbx-…` namespaces) never collide. Interfaces are created directly inside
 * their namespaces, so their names need only be unique within one. Processes are tracked by
 * PID and stopped by PID (SIGTERM, a bounded wait, SIGKILL); anything else still inside one
 * of our namespaces is killed by PID before the namespace goes. Nothing is killed by name.
 * (Modelled on test/netns/lib/netns.ts, which src/ must not import.)
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const NS_PREFIX = "sbxlab-";
/**
 * Live labs (tmpfs: gone after a reboot, like namespaces): lets a new lab remove what a lab
 * killed by SIGKILL left behind (its processes died with it, by pdeathsig; its namespaces
 * did not), never touching a lab that still runs.
 */
const REGISTRY = "/run/sbxlab";

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  readonly timedOut: boolean;
}

export class CommandError extends Error {
  override readonly name = "CommandError";
}

/** A process started inside a namespace, tracked by PID until it exits. */
export class Daemon {
  readonly pid: number;
  readonly name: string;
  readonly logFile: string;
  readonly exited: Promise<void>;
  #running = true;

  constructor(child: ChildProcess, name: string, logFile: string) {
    if (child.pid === undefined) throw new CommandError(`could not start ${name}`);
    this.pid = child.pid;
    this.name = name;
    this.logFile = logFile;
    this.exited = new Promise((resolve) =>
      child.once("exit", () => {
        this.#running = false;
        resolve();
      }),
    );
  }

  get running(): boolean {
    return this.#running;
  }

  /** Sends a signal by PID, only while the child has not been reaped (no PID reuse risk). */
  signal(sig: NodeJS.Signals): void {
    if (!this.#running) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, up to `graceMs` for the exit, then SIGKILL and up to 2 s more. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.#running) return;
    this.signal("SIGTERM");
    if (await this.#within(graceMs)) return;
    this.signal("SIGKILL");
    await this.#within(2000);
  }

  logTail(lines = 15): string {
    try {
      return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  async #within(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return done;
  }
}

function pidsIn(ns: string): number[] {
  const r = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8", timeout: 5000 });
  if (r.status !== 0) return [];
  return (r.stdout ?? "")
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((p) => p !== process.pid);
}

/** Every namespace on this host whose name starts with `prefix`. */
export function namespacesWith(prefix: string): string[] {
  try {
    return readdirSync("/run/netns").filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

export class Netns {
  readonly runId = randomBytes(3).toString("hex");
  readonly prefix = `${NS_PREFIX}${this.runId}-`;
  readonly dir: string;
  readonly namespaces: string[] = [];
  readonly daemons: Daemon[] = [];
  #closed = false;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), this.prefix));
  }

  /** Removes what dead labs left behind; returns their namespaces. Then registers this lab. */
  sweepAndRegister(): string[] {
    const removed: string[] = [];
    let entries: string[] = [];
    try {
      entries = readdirSync(REGISTRY);
    } catch {
      // first lab on this boot
    }
    for (const id of entries) {
      let info: { pid: number; start?: string; dir?: string };
      try {
        info = JSON.parse(readFileSync(join(REGISTRY, id), "utf8"));
      } catch {
        continue;
      }
      if (startTime(info.pid) === info.start && info.start !== undefined) continue;
      const prefix = `${NS_PREFIX}${id}-`;
      for (const ns of namespacesWith(prefix)) {
        destroyNamespace(ns);
        removed.push(ns);
      }
      if (info.dir?.includes(prefix)) rmSync(info.dir, { recursive: true, force: true });
      rmSync(join(REGISTRY, id), { force: true });
    }
    mkdirSync(REGISTRY, { recursive: true });
    writeFileSync(
      join(REGISTRY, this.runId),
      JSON.stringify({ pid: process.pid, start: startTime(process.pid), dir: this.dir }),
    );
    return removed;
  }

  nsName(short: string): string {
    return `${this.prefix}${short}`;
  }

  /** A namespace with `lo` up and IPv4 forwarding on (every hop of the lab routes). */
  async addNamespace(short: string): Promise<string> {
    const ns = this.nsName(short);
    await this.run(undefined, ["ip", "netns", "add", ns]);
    this.namespaces.push(ns);
    await this.run(ns, ["ip", "link", "set", "lo", "up"]);
    await this.sysctl(ns, { "net.ipv4.ip_forward": "1" });
    return ns;
  }

  async sysctl(ns: string, settings: Record<string, string>): Promise<void> {
    await this.run(ns, ["sysctl", "-q", "-w", ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)]);
  }

  /** A veth pair made inside the two namespaces, addresses added, both ends up. */
  async addVeth(
    a: { ns: string; ifname: string; address?: string },
    b: { ns: string; ifname: string; address?: string },
  ): Promise<void> {
    await this.run(undefined, [
      ...["ip", "link", "add", a.ifname, "netns", a.ns],
      ...["type", "veth", "peer", "name", b.ifname, "netns", b.ns],
    ]);
    for (const end of [a, b]) {
      if (end.address) await this.run(end.ns, ["ip", "addr", "add", end.address, "dev", end.ifname]);
      await this.run(end.ns, ["ip", "link", "set", end.ifname, "up"]);
    }
  }

  /** Runs a command (inside `ns`, or on the host), killed by PID after `timeoutMs`. */
  exec(ns: string | undefined, argv: readonly string[], timeoutMs = 10_000): Promise<ExecResult> {
    const full = ns === undefined ? [...argv] : ["ip", "netns", "exec", ns, ...argv];
    return new Promise((resolve) => {
      const child = spawn(full[0]!, full.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined && child.exitCode === null) child.kill("SIGKILL");
      }, timeoutMs);
      child.stdout.on("data", (d: Buffer) => out.push(d));
      child.stderr.on("data", (d: Buffer) => err.push(d));
      child.on("error", (e) => err.push(Buffer.from(e.message)));
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
          code,
          timedOut,
        });
      });
    });
  }

  /** exec that throws unless the command exits 0 in time; returns stdout. */
  async run(ns: string | undefined, argv: readonly string[], timeoutMs = 10_000): Promise<string> {
    const r = await this.exec(ns, argv, timeoutMs);
    if (r.code !== 0 || r.timedOut) {
      const how = r.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exited ${r.code}`;
      const where = ns ? ` in ${ns}` : "";
      throw new CommandError(
        `\`${argv.join(" ")}\`${where} ${how}: ${(r.stderr || r.stdout).trim().slice(0, 500)}`,
      );
    }
    return r.stdout;
  }

  /**
   * A long-running process inside `ns`, its output appended to `<dir>/<logName>.log`. It gets
   * SIGTERM if the lab dies (setpriv --pdeathsig), so even a SIGKILLed lab leaves no process.
   * `group`: run with this real and effective group (FRR's zebra wants frrvty).
   */
  spawn(ns: string, argv: readonly string[], logName: string, group?: string): Daemon {
    const logFile = join(this.dir, `${logName}.log`);
    const fd = openSync(logFile, "a");
    try {
      const regid = group ? ["setpriv", "--regid", group, "--clear-groups", "--"] : [];
      const child = spawn(
        "ip",
        ["netns", "exec", ns, ...regid, "setpriv", "--pdeathsig", "TERM", "--", ...argv],
        { stdio: ["ignore", fd, fd], detached: true },
      );
      child.on("error", () => {}); // seen as an early exit
      const d = new Daemon(child, logName, logFile);
      this.daemons.push(d);
      return d;
    } finally {
      closeSync(fd);
    }
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Stops every daemon (by PID, in reverse start order), kills what else runs in our
   * namespaces (by PID), deletes the namespaces and, unless `keepDir`, the temp directory.
   */
  async close(keepDir = false): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.daemons].reverse().map((d) => d.stop(2000)));
    this.#teardown(keepDir);
  }

  /** The synchronous variant for process exit: SIGKILL by PID, then the same teardown. */
  closeSync(keepDir = false): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of this.daemons) d.signal("SIGKILL");
    this.#teardown(keepDir);
  }

  #teardown(keepDir: boolean): void {
    const all = new Set([...this.namespaces, ...namespacesWith(this.prefix)]);
    for (const ns of [...all].reverse()) destroyNamespace(ns);
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
    rmSync(join(REGISTRY, this.runId), { force: true });
  }
}

/** Kills what runs inside the namespace (by PID) and deletes it. Synchronous: usable on exit. */
function destroyNamespace(ns: string): void {
  for (let round = 0; round < 5; round++) {
    const pids = pidsIn(ns);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    spawnSync("sleep", ["0.05"]);
  }
  spawnSync("ip", ["netns", "del", ns], { timeout: 5000 });
}

/** Polls `fn` until `until(value)` (default truthy); throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: { what: string; timeoutMs: number; intervalMs?: number; until?: (v: T) => boolean },
): Promise<T> {
  const until = options.until ?? ((v: T) => Boolean(v));
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      last = v;
      if (until(v)) return v;
    } catch (e) {
      last = e instanceof Error ? e.message : e;
    }
    if (Date.now() >= deadline) {
      let seen: string;
      try {
        seen = typeof last === "string" ? last : JSON.stringify(last);
      } catch {
        seen = String(last);
      }
      throw new WaitError(
        `waited ${options.timeoutMs / 1000} s for ${options.what}; last seen: ${(seen ?? "").slice(0, 400)}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}

export class WaitError extends Error {
  override readonly name = "WaitError";
}
