// A real Kubernetes control plane for tests: etcd and kube-apiserver built from the Go module
// proxy by ../build.sh, started on 127.0.0.1 with free ports, with a throw-away PKI and a
// kubeconfig. Recipe and flag choices: ../../../../shared/reference/k8s-apiserver.md §2.3, §3.2, §3.3.
//
// Rules: loopback only; every wait is bounded; processes are stopped by PID (each runs in its
// own process group, killed as -pid); the temp dir is removed; cleanup also runs on exit.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ApiClient } from "./api.ts";

const execFileP = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
export const BUILD_SCRIPT = join(HERE, "..", "build.sh");

/** A tool or binary the harness needs is missing or could not be built. */
export class PrerequisiteError extends Error {
  override name = "PrerequisiteError";
}

/** A bounded wait ran out. */
export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
}

export const isCI = (): boolean => /^(1|true|yes)$/i.test(process.env["CI"] ?? "");

export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  /** Built from the same wrapper module (same dependency versions) as kube-apiserver. */
  kubectl: string;
}

/**
 * Runs ../build.sh (which returns at once when the binaries are cached, and otherwise builds
 * what is missing: ~4 min cold on 2 cores, ~30 s for kubectl alone with warm Go caches) and
 * returns the binary paths. With `build: false` it only looks in the cache. Throws
 * PrerequisiteError with the script's reason on any failure.
 */
export async function ensureBinaries(opts: { build?: boolean; timeoutMs?: number } = {}): Promise<Binaries> {
  const build = opts.build ?? true;
  const timeoutMs = opts.timeoutMs ?? 60 * 60_000;
  const args = [BUILD_SCRIPT, ...(build ? [] : ["--check"])];
  // Own process group, so a timeout also stops the go processes the script started.
  const child = spawn("bash", args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    err += d;
    process.stderr.write(d);
  });
  const timer = setTimeout(() => {
    if (child.pid !== undefined) killGroup(child.pid, "SIGTERM");
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(-1));
    child.on("close", (c) => resolve(c));
  });
  clearTimeout(timer);
  if (code !== 0) {
    const reason =
      err
        .split("\n")
        .filter((l) => l.includes("ERROR"))
        .pop() ?? err.trim().split("\n").slice(-5).join("\n");
    throw new PrerequisiteError(`test/k8s/build.sh exited ${code}: ${reason || "no output"}`);
  }
  const get = (k: string): string => {
    const v = out.match(new RegExp(`^${k}=(.+)$`, "m"))?.[1];
    if (!v || !existsSync(v)) throw new PrerequisiteError(`build.sh printed no usable ${k}: ${out}`);
    return v;
  };
  return { etcd: get("ETCD"), kubeApiserver: get("KUBE_APISERVER"), kubectl: get("KUBECTL") };
}

/** Throws PrerequisiteError unless openssl is on PATH (it makes the test PKI). */
export async function checkOpenssl(): Promise<void> {
  try {
    await execFileP("openssl", ["version"], { timeout: 10_000 });
  } catch {
    throw new PrerequisiteError("openssl not found (Debian package: openssl); it generates the test PKI");
  }
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen({ host: "127.0.0.1", port: 0 }, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** One child process in its own process group, with its output in a log file. */
class Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  exited = false;
  exitCode: number | null = null;
  private readonly done: Promise<void>;

  readonly name: string;
  readonly logPath: string;

  constructor(name: string, bin: string, args: string[], logPath: string) {
    this.name = name;
    this.logPath = logPath;
    const fd = openSync(logPath, "a");
    try {
      this.child = spawn(bin, args, { detached: true, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    if (this.child.pid === undefined) throw new Error(`${name}: spawn ${bin} failed`);
    this.pid = this.child.pid;
    this.done = new Promise((resolve) => {
      this.child.on("exit", (code) => {
        this.exited = true;
        this.exitCode = code;
        resolve();
      });
      this.child.on("error", () => {
        this.exited = true;
        resolve();
      });
    });
    live.add(this);
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** `signal` to the process group, SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 10_000, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (!this.exited) {
      killGroup(this.pid, signal);
      const kill = setTimeout(() => killGroup(this.pid, "SIGKILL"), graceMs);
      let giveUp: NodeJS.Timeout | undefined;
      await Promise.race([this.done, new Promise((r) => (giveUp = setTimeout(r, graceMs + 5_000)))]);
      clearTimeout(kill);
      clearTimeout(giveUp);
    }
    killGroup(this.pid, "SIGKILL"); // anything left in the group
    live.delete(this);
    if (!this.exited && isAlive(this.pid)) throw new Error(`${this.name} (pid ${this.pid}) did not exit`);
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

// Last-resort cleanup when the test process exits without calling stop().
const live = new Set<Proc>();
const liveDirs = new Set<string>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const cleanup = (): void => {
    for (const p of live) killGroup(p.pid, "SIGKILL");
    live.clear();
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
    liveDirs.clear();
  };
  process.on("exit", cleanup);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      cleanup();
      process.kill(process.pid, sig);
    });
  }
}

/** Polls `check` every `everyMs` until it returns true; throws WaitTimeoutError after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `: last error ${last.message}` : "";
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await execFileP("openssl", args, { cwd, timeout: 30_000 });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`openssl ${args.join(" ")} failed: ${err.stderr ?? err.message}`);
  }
}

export interface ClientCert {
  certFile: string;
  keyFile: string;
}

export interface StartOptions {
  /** Extra kube-apiserver flags, e.g. ["--min-request-timeout=30"] (reference §3.2 test knobs). */
  apiserverArgs?: string[];
  /** Bound on each readiness wait (etcd health, apiserver /readyz). Default 90 s. */
  readyTimeoutMs?: number;
  /** Binaries to use; default: ensureBinaries({ build: false }) (build.sh must have run). */
  binaries?: Binaries;
}

export interface Cluster {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly caFile: string;
  /** Client certificate of user test-admin, group system:masters. */
  readonly admin: ClientCert;
  /** Bearer token of the same user (token-auth-file). */
  readonly token: string;
  /** Temp dir holding PKI, kubeconfig, logs and etcd data; removed by stop(). */
  readonly dir: string;
  readonly etcdUrl: string;
  /** Current PIDs (the apiserver PID changes on restart). */
  pids(): { etcd: number; apiserver: number };
  /** A small HTTPS client authenticated as test-admin. */
  readonly api: ApiClient;
  /** Issues a client certificate signed by the cluster CA (CN = user, O = each group). */
  issueClientCert(user: string, groups?: string[]): Promise<ClientCert>;
  /**
   * Stops the apiserver and starts it again on the same port; etcd keeps running.
   * SIGTERM (default) is a graceful stop: the apiserver stops listening at once but keeps open
   * watches until it exits, which with a watch open takes until the SIGKILL after `graceMs`
   * (default 10 s). SIGKILL is a crash: every connection drops at once.
   */
  restartApiserver(opts?: { signal?: "SIGTERM" | "SIGKILL"; graceMs?: number }): Promise<void>;
  /** Kills both processes by PID and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts etcd and kube-apiserver on 127.0.0.1 and waits until /readyz answers ok.
 * Typical start on 2 cores: a few seconds for etcd, ~10-20 s for the apiserver.
 */
export async function startCluster(opts: StartOptions = {}): Promise<Cluster> {
  hookExit();
  await checkOpenssl();
  const bins = opts.binaries ?? (await ensureBinaries({ build: false }));
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir(); // RAM-backed etcd data
  const dir = mkdtempSync(join(base, "signalbox-k8s-"));
  liveDirs.add(dir);
  let etcd: Proc | undefined;
  let apiserver: Proc | undefined;
  const stopAll = async (): Promise<void> => {
    const errs: unknown[] = [];
    for (const p of [apiserver, etcd]) {
      if (p) await p.stop().catch((e: unknown) => errs.push(e));
    }
    rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
    if (errs.length > 0) throw new AggregateError(errs, "cluster stop left processes behind");
  };

  try {
    const pki = join(dir, "pki");
    await execFileP("mkdir", ["-p", pki, join(dir, "etcd")]);
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const server = `https://127.0.0.1:${apiPort}`;

    // --- PKI (reference §3.3) ---
    // Split on spaces: none of these arguments contains one.
    const args = (line: string): string[] => line.split(" ");
    await openssl(pki, [
      ...args(
        "req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=signalbox-test-ca -keyout ca.key -out ca.crt",
      ),
      ...args("-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"),
    ]);
    const sign = async (name: string, subj: string, ext: string): Promise<void> => {
      await openssl(pki, [
        ...args(`req -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.csr -subj`),
        subj,
      ]);
      writeFileSync(join(pki, `${name}.ext`), ext);
      await openssl(pki, [
        ...args(`x509 -req -in ${name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2`),
        ...args(`-out ${name}.crt -extfile ${name}.ext`),
      ]);
    };
    await sign(
      "serving",
      "/CN=kube-apiserver",
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    );
    await sign("admin", "/O=system:masters/CN=test-admin", "extendedKeyUsage=clientAuth\n");
    await openssl(pki, ["genrsa", "-out", "sa.key", "2048"]);
    const token = `signalbox-test-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    writeFileSync(join(dir, "tokens.csv"), `${token},test-admin,uid-test-admin,"system:masters"\n`);
    const caFile = join(pki, "ca.crt");
    const admin: ClientCert = { certFile: join(pki, "admin.crt"), keyFile: join(pki, "admin.key") };

    // --- etcd (reference §2.3) ---
    const etcdArgs = [
      "--name=t",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=t=http://127.0.0.1:${peerPort}`,
      "--listen-metrics-urls=", // no extra listener
      "--unsafe-no-fsync",
      "--watch-progress-notify-interval=5s",
      "--log-level=warn",
    ];
    etcd = new Proc("etcd", bins.etcd, etcdArgs, join(dir, "etcd.log"));
    const etcdProc = etcd;
    await waitFor(
      "etcd /health",
      async () => {
        if (etcdProc.exited) throw new Error(`etcd exited (${etcdProc.exitCode}):\n${etcdProc.logTail()}`);
        const r = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2_000) });
        return r.ok && ((await r.json()) as { health?: string }).health === "true";
      },
      readyTimeoutMs,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n--- etcd log ---\n${etcdProc.logTail()}`);
    });

    // --- kube-apiserver (reference §3.2) ---
    const apiArgs = [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      "--advertise-address=127.0.0.1",
      "--endpoint-reconciler-type=none",
      `--cert-dir=${pki}`,
      `--tls-cert-file=${join(pki, "serving.crt")}`,
      `--tls-private-key-file=${join(pki, "serving.key")}`,
      `--client-ca-file=${caFile}`,
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${join(pki, "sa.key")}`,
      `--service-account-signing-key-file=${join(pki, "sa.key")}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--allow-privileged=true",
      "--disable-admission-plugins=ServiceAccount",
      ...(opts.apiserverArgs ?? []),
    ];
    const api = new ApiClient({ server, caFile, certFile: admin.certFile, keyFile: admin.keyFile });
    const apiLog = join(dir, "apiserver.log");
    const startApiserver = async (): Promise<void> => {
      const p = new Proc("kube-apiserver", bins.kubeApiserver, apiArgs, apiLog);
      apiserver = p;
      await waitFor(
        "kube-apiserver /readyz",
        async () => {
          if (p.exited) throw new Error(`kube-apiserver exited (${p.exitCode})`);
          const r = await api.request("GET", "/readyz", undefined, { timeoutMs: 2_000 });
          return r.status === 200 && r.text.trim() === "ok";
        },
        readyTimeoutMs,
        250,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n--- kube-apiserver log ---\n${p.logTail(30)}`);
      });
    };
    await startApiserver();

    const kubeconfigPath = join(dir, "kubeconfig");
    // JSON is YAML: kubectl and client-node read it as is.
    const kubeconfig = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "test", cluster: { server, "certificate-authority": caFile } }],
      users: [
        { name: "admin", user: { "client-certificate": admin.certFile, "client-key": admin.keyFile } },
        { name: "admin-token", user: { token } },
      ],
      contexts: [
        { name: "test", context: { cluster: "test", user: "admin" } },
        { name: "test-token", context: { cluster: "test", user: "admin-token" } },
      ],
      "current-context": "test",
    };
    writeFileSync(kubeconfigPath, `${JSON.stringify(kubeconfig, null, 2)}\n`);

    let stopped = false;
    let nextCert = 0;
    return {
      server,
      kubeconfigPath,
      caFile,
      admin,
      token,
      dir,
      etcdUrl,
      api,
      pids: () => ({ etcd: etcdProc.pid, apiserver: apiserver?.pid ?? -1 }),
      async issueClientCert(user: string, groups: string[] = []): Promise<ClientCert> {
        const name = `client-${nextCert++}`;
        const subj = [...groups.map((g) => `/O=${g}`), `/CN=${user}`].join("");
        await sign(name, subj, "extendedKeyUsage=clientAuth\n");
        return { certFile: join(pki, `${name}.crt`), keyFile: join(pki, `${name}.key`) };
      },
      async restartApiserver(o: { signal?: "SIGTERM" | "SIGKILL"; graceMs?: number } = {}): Promise<void> {
        if (stopped) throw new Error("cluster stopped");
        await apiserver?.stop(o.graceMs ?? 10_000, o.signal ?? "SIGTERM");
        await startApiserver();
      },
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (e) {
    await stopAll().catch(() => {});
    throw e;
  }
}
