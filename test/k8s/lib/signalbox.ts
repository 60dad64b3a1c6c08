// signalbox processes for Kubernetes tests: `bin/signalbox controller|speaker …` pointed at the
// test API server's kubeconfig, with logs in a file, /status over loopback, stopped by PID.

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, isAlive, waitFor } from "./apiserver.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const SIGNALBOX = join(ROOT, "bin", "signalbox");

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly statusPort: number;
  readonly logFile: string;
  status<T = Record<string, unknown>>(): Promise<T>;
  metrics(): Promise<string>;
  log(): string;
  /** SIGTERM (or the given signal), bounded wait, then SIGKILL. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const all = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of all) if (c.pid !== undefined && isAlive(c.pid)) process.kill(c.pid, "SIGKILL");
});

/** Starts `bin/signalbox <role> ...args --status-address 127.0.0.1:<free> --kubeconfig <kc>`; waits for /healthz. */
export async function startSignalbox(
  name: string,
  role: "controller" | "speaker",
  args: readonly string[],
  opts: { kubeconfig: string; dir: string; env?: Record<string, string>; statusPort?: number },
): Promise<Proc> {
  const statusPort = opts.statusPort ?? (await freePort());
  const logFile = join(opts.dir, `${name}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(
    SIGNALBOX,
    [role, "--kubeconfig", opts.kubeconfig, "--status-address", `127.0.0.1:${statusPort}`, ...args],
    { stdio: ["ignore", fd, fd], env: { ...process.env, ...opts.env } },
  );
  closeSync(fd);
  all.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const base = `http://127.0.0.1:${statusPort}`;
  const proc: Proc = {
    name,
    pid: child.pid!,
    statusPort,
    logFile,
    async status<T>() {
      const r = await fetch(`${base}/status`, { signal: AbortSignal.timeout(5000) });
      return (await r.json()) as T;
    },
    async metrics() {
      const r = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) });
      return await r.text();
    },
    log: () => readFileSync(logFile, "utf8"),
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      all.delete(child);
    },
  };
  await waitFor(
    `${name} /healthz`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}:\n${proc.log()}`);
      try {
        return (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
      } catch {
        return false;
      }
    },
    30_000,
  );
  return proc;
}
