// A lab of Linux network namespaces for the network tests: namespaces, veth pairs, bridges,
// addresses, link failures, bounded commands and tracked daemons, and a cleanup that leaves
// nothing behind even when a test fails or the process is interrupted.
//
// Names: every namespace is `sbx-<run id>-<short name>`, the run id being 6 random hex digits,
// so parallel runs never collide and anything left behind is recognisable. Interfaces are
// created directly inside their namespaces (never in the host's), so their names only need to
// be unique within one namespace.
//
// Processes are tracked by PID and stopped by PID (SIGTERM, bounded wait, SIGKILL); any other
// process still inside one of our namespaces is killed by PID before the namespace is deleted.
// Nothing is ever killed by name.

import { type ChildProcess, spawn as spawnChild, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait.ts";

export { describe, type WaitOptions, WaitTimeoutError, waitFor } from "./wait.ts";

export interface ExecOptions {
  /** Kill the command (SIGKILL, by PID) after this long; default 10 s. Always bounded. */
  timeoutMs?: number;
  /** Text written to the command's stdin. */
  input?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Throw ExecError unless the command exits 0 in time (default false: look at `code`). */
  check?: boolean;
}

export interface ExecResult {
  ns: string | undefined;
  argv: readonly string[];
  stdout: string;
  stderr: string;
  /** Exit code; null if killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

export class ExecError extends Error {
  override readonly name = "ExecError";
  readonly result: ExecResult;
  constructor(result: ExecResult) {
    const where = result.ns ? ` in ${result.ns}` : "";
    const how = result.timedOut
      ? "timed out"
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited ${result.code}`;
    const err = result.stderr.trim() || result.stdout.trim();
    super(`\`${result.argv.join(" ")}\`${where} ${how}${err ? `: ${err.slice(0, 800)}` : ""}`);
    this.result = result;
  }
}

export interface SpawnOptions {
  /** stdout and stderr go to this file (appended). Default: `<lab dir>/<ns>.<program>.<n>.log`. */
  logFile?: string;
  env?: Record<string, string>;
  cwd?: string;
  /**
   * Run with this real and effective group and no supplementary groups (set before the
   * parent-death signal, so a daemon that setgid()s to the same group keeps it).
   */
  group?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process started with Lab.spawn, tracked by PID until it exits. */
export class Daemon {
  readonly pid: number;
  readonly ns: string;
  readonly argv: readonly string[];
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitStatus>;
  #status: ExitStatus | undefined;

  constructor(child: ChildProcess, ns: string, argv: readonly string[], logFile: string) {
    if (child.pid === undefined) throw new Error(`could not start ${argv.join(" ")} in ${ns}`);
    this.pid = child.pid;
    this.ns = ns;
    this.argv = argv;
    this.logFile = logFile;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.#status = { code, signal };
        resolve(this.#status);
      });
    });
  }

  get running(): boolean {
    return this.#status === undefined;
  }

  get exitStatus(): ExitStatus | undefined {
    return this.#status;
  }

  /** Sends a signal by PID, only while the process has not been reaped (no PID reuse risk). */
  signal(sig: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      process.kill(this.pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM, wait up to graceMs, then SIGKILL and wait up to 2 s more. */
  async stop(graceMs = 3000): Promise<ExitStatus | undefined> {
    if (!this.running) return this.#status;
    this.signal("SIGCONT"); // a paused daemon cannot act on SIGTERM
    this.signal("SIGTERM");
    if (await this.#exitedWithin(graceMs)) return this.#status;
    this.signal("SIGKILL");
    await this.#exitedWithin(2000);
    return this.#status;
  }

  /** SIGKILL at once (a crash, for graceful-restart tests); waits up to 2 s for the exit. */
  async kill(): Promise<ExitStatus | undefined> {
    this.signal("SIGKILL");
    await this.#exitedWithin(2000);
    return this.#status;
  }

  /** SIGSTOP: the process keeps its sockets but goes silent (hold-timer tests). */
  pause(): void {
    this.signal("SIGSTOP");
  }

  resume(): void {
    this.signal("SIGCONT");
  }

  /** The last lines of the log file, for error messages. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  async #exitedWithin(ms: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const done = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }
}

export interface VethEnd {
  ns: string;
  ifname: string;
  /** CIDRs, e.g. "10.0.1.1/24", "fd00:1::1/64". IPv6 addresses are added with nodad. */
  addresses?: string[];
  mac?: string;
}

export interface Bridge {
  /** The namespace that holds only the bridge. */
  ns: string;
  name: string;
}

export interface LabOptions {
  /** Keep the lab's temp directory (configs, logs) after close(). Default: env SBX_KEEP_LOGS set. */
  keepDir?: boolean;
}

const NS_PREFIX = "sbx-";
// Registry of live runs (tmpfs, gone after a reboot like the namespaces themselves): lets a new
// run remove what a crashed run (SIGKILL, power cut of the test process) left behind, without
// ever touching a run that is still alive.
const REGISTRY = "/run/sbx-netns";

const liveLabs = new Set<Lab>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once("exit", () => {
    for (const lab of liveLabs) lab.closeSync();
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      for (const lab of liveLabs) lab.closeSync();
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
    });
  }
}

function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime), counted after the parenthesised command name.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function ipSync(args: string[]): { code: number | null; stdout: string } {
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 5000, killSignal: "SIGKILL" });
  return { code: r.status, stdout: r.stdout ?? "" };
}

/** PIDs of processes inside a namespace (by `ip netns pids`). */
function netnsPids(name: string): number[] {
  const r = ipSync(["netns", "pids", name]);
  if (r.code !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

function killPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Kills whatever runs in the namespace (by PID) and deletes it. Synchronous: usable on exit. */
function destroyNamespaceSync(name: string): void {
  for (let round = 0; round < 5; round++) {
    const pids = netnsPids(name);
    if (pids.length === 0) break;
    for (const pid of pids) {
      killPid(pid, "SIGCONT");
      killPid(pid, "SIGKILL");
    }
    spawnSync("sleep", ["0.05"]);
  }
  ipSync(["netns", "del", name]);
}

function listNamespaces(): string[] {
  try {
    return readdirSync("/run/netns");
  } catch {
    return [];
  }
}

/** Removes namespaces and temp dirs of earlier runs whose process is gone. */
function sweepDeadRuns(): void {
  let entries: string[];
  try {
    entries = readdirSync(REGISTRY);
  } catch {
    return;
  }
  for (const runId of entries) {
    let info: { pid: number; start?: string; dir?: string };
    try {
      info = JSON.parse(readFileSync(join(REGISTRY, runId), "utf8"));
    } catch {
      continue;
    }
    const alive = procStartTime(info.pid);
    if (alive !== undefined && alive === info.start) continue;
    for (const ns of listNamespaces()) if (ns.startsWith(`${NS_PREFIX}${runId}-`)) destroyNamespaceSync(ns);
    if (info.dir?.includes(`${NS_PREFIX}${runId}`)) rmSync(info.dir, { recursive: true, force: true });
    rmSync(join(REGISTRY, runId), { force: true });
  }
}

export class Lab {
  readonly runId: string;
  /** `sbx-<run id>-`: every namespace of this lab starts with it. */
  readonly prefix: string;
  /** Temp directory for configs, sockets and logs of this lab. */
  readonly dir: string;
  readonly namespaces: string[] = [];
  readonly daemons: Daemon[] = [];
  #keepDir: boolean;
  #closed = false;
  #logCounter = 0;

  private constructor(runId: string, dir: string, keepDir: boolean) {
    this.runId = runId;
    this.prefix = `${NS_PREFIX}${runId}-`;
    this.dir = dir;
    this.#keepDir = keepDir;
  }

  static async create(options: LabOptions = {}): Promise<Lab> {
    if (process.getuid?.() !== 0) throw new Error("network namespace tests need root");
    sweepDeadRuns();
    const runId = randomBytes(3).toString("hex");
    const dir = await mkdtemp(join(tmpdir(), `${NS_PREFIX}${runId}-`));
    const lab = new Lab(runId, dir, options.keepDir ?? Boolean(process.env["SBX_KEEP_LOGS"]));
    mkdirSync(REGISTRY, { recursive: true });
    writeFileSync(
      join(REGISTRY, runId),
      JSON.stringify({ pid: process.pid, start: procStartTime(process.pid), dir }),
    );
    installExitHandlers();
    liveLabs.add(lab);
    return lab;
  }

  /** The full namespace name for a short one. */
  nsName(short: string): string {
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(short)) throw new Error(`bad namespace short name ${short}`);
    return `${this.prefix}${short}`;
  }

  /**
   * Creates a namespace with `lo` up, IPv4 and IPv6 forwarding on and IPv6 duplicate address
   * detection off (addresses are usable at once). Returns its full name.
   */
  async addNamespace(short: string): Promise<string> {
    this.#assertOpen();
    const name = this.nsName(short);
    await this.#ip(["netns", "add", name]);
    this.namespaces.push(name);
    await this.exec(name, ["ip", "link", "set", "lo", "up"], { check: true });
    await this.sysctl(name, {
      "net.ipv4.ip_forward": "1",
      "net.ipv6.conf.all.forwarding": "1",
      "net.ipv6.conf.all.accept_dad": "0",
      "net.ipv6.conf.default.accept_dad": "0",
      "net.ipv6.conf.all.keep_addr_on_down": "1",
      "net.ipv6.conf.default.keep_addr_on_down": "1",
    });
    return name;
  }

  async sysctl(ns: string, settings: Record<string, string>): Promise<void> {
    const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
    await this.exec(ns, ["sysctl", "-q", "-w", ...args], { check: true });
  }

  /** A namespace holding one Linux bridge (`br0`), to which `connectToBridge` attaches hosts. */
  async addBridge(short = "sw", name = "br0"): Promise<Bridge> {
    const ns = await this.addNamespace(short);
    await this.exec(
      ns,
      ["ip", "link", "add", name, "type", "bridge", "stp_state", "0", "forward_delay", "0"],
      {
        check: true,
      },
    );
    // Multicast snooping would drop NDP to solicited-node groups nobody joined via MLD yet.
    await this.exec(ns, ["ip", "link", "set", name, "type", "bridge", "mcast_snooping", "0"], {
      check: true,
    });
    await this.exec(ns, ["ip", "link", "set", name, "up"], { check: true });
    return { ns, name };
  }

  /** A veth pair between two namespaces, both ends up, with their addresses. */
  async addVeth(a: VethEnd, b: VethEnd): Promise<void> {
    this.#assertOpen();
    const args = ["link", "add", a.ifname, "netns", a.ns];
    if (a.mac) args.push("address", a.mac);
    args.push("type", "veth", "peer", "name", b.ifname, "netns", b.ns);
    if (b.mac) args.push("address", b.mac);
    await this.#ip(args);
    for (const end of [a, b]) {
      for (const cidr of end.addresses ?? []) await this.addAddress(end.ns, end.ifname, cidr);
      await this.setLink(end.ns, end.ifname, "up");
    }
  }

  /**
   * Connects a namespace to a bridge: a veth pair whose bridge-side end (`<short ns>-<ifname>`,
   * cut to 15 characters, or `bridgePort`) is enslaved to the bridge.
   */
  async connectToBridge(host: VethEnd, bridge: Bridge, bridgePort?: string): Promise<string> {
    const port = bridgePort ?? `p${this.#logCounter++}-${host.ifname}`.slice(0, 15);
    await this.addVeth(host, { ns: bridge.ns, ifname: port });
    await this.exec(bridge.ns, ["ip", "link", "set", port, "master", bridge.name], { check: true });
    return port;
  }

  async addAddress(ns: string, ifname: string, cidr: string): Promise<void> {
    const args = ["ip", "addr", "add", cidr, "dev", ifname];
    if (cidr.includes(":")) args.push("nodad");
    await this.exec(ns, args, { check: true });
  }

  async delAddress(ns: string, ifname: string, cidr: string): Promise<void> {
    await this.exec(ns, ["ip", "addr", "del", cidr, "dev", ifname], { check: true });
  }

  /** Sets a link up or down (down simulates a cable pull for the end in `ns`). */
  async setLink(ns: string, ifname: string, state: "up" | "down"): Promise<void> {
    await this.exec(ns, ["ip", "link", "set", ifname, state], { check: true });
  }

  /** Runs a command inside a namespace (or the host when ns is undefined), always bounded. */
  exec(ns: string | undefined, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const full = ns === undefined ? [...argv] : ["ip", "netns", "exec", ns, ...argv];
    return execBounded(ns, argv, full, options);
  }

  /** Like exec, but throws ExecError unless the command exits 0; returns stdout. */
  async run(ns: string | undefined, argv: readonly string[], options: ExecOptions = {}): Promise<string> {
    return (await this.exec(ns, argv, { ...options, check: true })).stdout;
  }

  /**
   * Starts a long-running process inside a namespace, tracked by PID. The process must stay in
   * the foreground (no daemonising). It gets SIGTERM if this Node process dies (pdeathsig).
   */
  spawn(ns: string, argv: readonly string[], options: SpawnOptions = {}): Daemon {
    this.#assertOpen();
    const program = (argv[0] ?? "cmd").split("/").pop() ?? "cmd";
    const logFile =
      options.logFile ??
      join(this.dir, `${ns.slice(this.prefix.length)}.${program}.${this.#logCounter++}.log`);
    const fd = openSync(logFile, "a");
    try {
      const group = options.group ? ["setpriv", "--regid", options.group, "--clear-groups", "--"] : [];
      const child = spawnChild(
        "ip",
        ["netns", "exec", ns, ...group, "setpriv", "--pdeathsig", "TERM", "--", ...argv],
        {
          stdio: ["ignore", fd, fd],
          env: { ...process.env, ...options.env },
          cwd: options.cwd,
          detached: true,
        },
      );
      child.on("error", () => {}); // reported through `exited`
      const daemon = new Daemon(child, ns, argv, logFile);
      this.daemons.push(daemon);
      return daemon;
    } finally {
      closeSync(fd);
    }
  }

  /** A path inside this lab's temp directory (created if `mkdir`). */
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /**
   * Stops every tracked daemon (SIGTERM, bounded wait, SIGKILL; by PID), kills anything else
   * still running inside our namespaces (by PID), deletes every namespace this lab created and
   * its temp directory. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.daemons.map((d) => d.stop(2000)));
    this.#teardownSync();
  }

  /** The synchronous, no-grace variant used on process exit and signals. */
  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of this.daemons) {
      d.signal("SIGCONT");
      d.signal("SIGKILL");
    }
    this.#teardownSync();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #teardownSync(): void {
    for (const ns of [...this.namespaces].reverse()) destroyNamespaceSync(ns);
    // Namespaces created by hand with our prefix (e.g. by a test calling `ip netns add`).
    for (const ns of listNamespaces()) if (ns.startsWith(this.prefix)) destroyNamespaceSync(ns);
    if (!this.#keepDir) rmSync(this.dir, { recursive: true, force: true });
    rmSync(join(REGISTRY, this.runId), { force: true });
    liveLabs.delete(this);
  }

  /** Namespaces with this lab's prefix that currently exist (for cleanup assertions). */
  remainingNamespaces(): string[] {
    return listNamespaces().filter((ns) => ns.startsWith(this.prefix));
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`lab ${this.runId} is closed`);
  }

  async #ip(args: string[]): Promise<void> {
    await execBounded(undefined, ["ip", ...args], ["ip", ...args], { check: true });
  }
}

/** Namespaces named `sbx-…` on this host (any run). */
export function sbxNamespaces(): string[] {
  return listNamespaces().filter((ns) => ns.startsWith(NS_PREFIX));
}

/** Whether a process exists and is not a zombie (an orphan nobody reaps is as good as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Whether a namespace exists. */
export function namespaceExists(name: string): boolean {
  return existsSync(join("/run/netns", name));
}

const MAX_OUTPUT = 32 * 1024 * 1024;

function execBounded(
  ns: string | undefined,
  argv: readonly string[],
  full: readonly string[],
  options: ExecOptions,
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = full;
    const child = spawnChild(cmd!, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: options.env ? { ...process.env, ...options.env } : process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let spawnError: Error | undefined;
    const kill = () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
        killPid(child.pid, "SIGKILL");
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) kill();
      else into.push(chunk);
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    child.on("error", (e) => {
      spawnError = e;
    });
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result: ExecResult = {
        ns,
        argv,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + (spawnError ? `${spawnError.message}\n` : ""),
        code,
        signal,
        timedOut,
      };
      if (options.check && (code !== 0 || timedOut)) reject(new ExecError(result));
      else resolve(result);
    });
  });
}

/** Waits until a TCP port is listening inside a namespace (by `ss`). */
export async function waitListening(lab: Lab, ns: string, port: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    async () => {
      const r = await lab.exec(ns, ["ss", "-Htln", `sport = :${port}`], { timeoutMs: 3000 });
      return r.stdout.trim();
    },
    { what: `a listener on TCP port ${port} in ${ns}`, timeoutMs },
  );
}
