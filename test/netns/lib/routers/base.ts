// What the four drivers share: process control (stop, restart, kill, pause), bounded waits on
// sessions and routes, kernel routes, and the set of originated routes kept across restarts.

import { mkdirSync } from "node:fs";
import { kernelNextHops } from "../kernel.ts";
import type { Daemon, Lab } from "../netns.ts";
import { waitFor } from "../wait.ts";
import type {
  Family,
  KernelNextHop,
  OriginateRoute,
  ReceivedRoute,
  Router,
  RouterOptions,
  SessionState,
} from "./types.ts";
import { familyOf, normalizePrefix } from "./types.ts";

export abstract class BaseRouter implements Router {
  abstract readonly kind: Router["kind"];
  readonly lab: Lab;
  readonly ns: string;
  readonly options: RouterOptions;
  /** This router's directory (config, sockets, pid files, logs). */
  readonly dir: string;
  /** Every process of this router, main one first. */
  protected procs: Daemon[] = [];
  /** Originated routes by normalised prefix (options.routes + announce − withdraw). */
  protected routes = new Map<string, OriginateRoute>();

  constructor(lab: Lab, ns: string, options: RouterOptions, kindName: string) {
    this.lab = lab;
    this.ns = ns;
    this.options = options;
    this.dir = lab.path(`${ns.slice(lab.prefix.length)}-${kindName}`);
    mkdirSync(this.dir, { recursive: true });
    for (const r of options.routes ?? []) this.routes.set(normalizePrefix(r.prefix), r);
  }

  get daemon(): Daemon | undefined {
    return this.procs[0];
  }

  /** Writes the config and starts the processes; resolves once the router answers queries. */
  abstract start(): Promise<void>;
  abstract sessionState(neighbor: string): Promise<SessionState>;
  abstract receivedRoutes(family?: Family): Promise<ReceivedRoute[]>;
  protected abstract applyAnnounce(route: OriginateRoute): Promise<void>;
  protected abstract applyWithdraw(prefix: string): Promise<void>;

  async announce(route: OriginateRoute): Promise<void> {
    this.routes.set(normalizePrefix(route.prefix), route);
    await this.applyAnnounce(route);
  }

  async withdraw(prefix: string): Promise<void> {
    const p = normalizePrefix(prefix);
    if (!this.routes.delete(p)) throw new Error(`${this.kind} in ${this.ns} does not originate ${p}`);
    await this.applyWithdraw(p);
  }

  async waitEstablished(neighbor: string, timeoutMs = 20_000): Promise<SessionState> {
    try {
      return await waitFor(() => this.sessionState(neighbor), {
        what: `${this.kind} in ${this.ns}: session with ${neighbor} Established`,
        timeoutMs,
        intervalMs: 200,
        until: (s) => s.established,
      });
    } catch (err) {
      throw this.withLog(err);
    }
  }

  async waitRoute(
    prefix: string,
    options: { timeoutMs?: number; until?: (paths: ReceivedRoute[]) => boolean } = {},
  ): Promise<ReceivedRoute[]> {
    const p = normalizePrefix(prefix);
    const until = options.until ?? (() => true);
    try {
      return await waitFor(
        async () => (await this.receivedRoutes(familyOf(p))).filter((r) => r.prefix === p),
        {
          what: `${this.kind} in ${this.ns}: route ${p} received${options.until ? " (with the expected paths)" : ""}`,
          timeoutMs: options.timeoutMs ?? 15_000,
          intervalMs: 200,
          until: (paths) => paths.length > 0 && until(paths),
        },
      );
    } catch (err) {
      throw this.withLog(err);
    }
  }

  async waitNoRoute(prefix: string, timeoutMs = 15_000): Promise<void> {
    const p = normalizePrefix(prefix);
    await waitFor(async () => (await this.receivedRoutes(familyOf(p))).filter((r) => r.prefix === p), {
      what: `${this.kind} in ${this.ns}: route ${p} gone`,
      timeoutMs,
      intervalMs: 200,
      until: (paths) => paths.length === 0,
    });
  }

  kernelRoutes(prefix: string): Promise<KernelNextHop[]> {
    return kernelNextHops(this.lab, this.ns, prefix);
  }

  async stop(): Promise<void> {
    // Main process first (FRR: bgpd, then zebra).
    for (const d of this.procs) await d.stop(3000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async kill(): Promise<void> {
    for (const d of this.procs) await d.kill();
  }

  pause(): void {
    for (const d of this.procs) d.pause();
  }

  resume(): void {
    for (const d of this.procs) d.resume();
  }

  logTail(lines = 30): string {
    return this.procs.map((d) => `--- ${d.logFile}\n${d.logTail(lines)}`).join("\n");
  }

  /** Remembers a process of this router in its role slot (0 = main), replacing an earlier one. */
  protected track(d: Daemon, role: number): Daemon {
    this.procs[role] = d;
    return d;
  }

  /** Throws with the log tail if a process has already exited. */
  protected assertRunning(): void {
    for (const d of this.procs) {
      if (!d.running) {
        throw new Error(
          `${this.kind} in ${this.ns}: ${d.argv[0]} exited (${JSON.stringify(d.exitStatus)}):\n${d.logTail(30)}`,
        );
      }
    }
  }

  protected withLog(err: unknown): Error {
    const e = err instanceof Error ? err : new Error(String(err));
    e.message += `\n${this.kind} log tail:\n${this.logTail(15)}`;
    return e;
  }
}

/** Maps an origin word from any router to "IGP" | "EGP" | "incomplete". */
export function normalizeOrigin(o: string | number | undefined): string {
  if (o === undefined) return "incomplete";
  if (o === 0) return "IGP";
  if (o === 1) return "EGP";
  if (o === 2) return "incomplete";
  const s = String(o).toLowerCase();
  if (s === "igp" || s === "i") return "IGP";
  if (s === "egp" || s === "e") return "EGP";
  if (s === "incomplete" || s === "?") return "incomplete";
  return String(o);
}

export function emptyRoute(prefix: string): ReceivedRoute {
  return {
    prefix: normalizePrefix(prefix),
    nextHops: [],
    asPath: [],
    origin: "incomplete",
    communities: [],
    largeCommunities: [],
    extendedCommunities: [],
  };
}
