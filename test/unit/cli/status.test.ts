/**
 * `signalbox status` run as operators run it, against /status servers on loopback serving the
 * fixture documents: exit codes, what goes to stdout and stderr, the timeout. Plus the small
 * parsers of status.ts.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { describeFetchError, main, parseAddressList, parseTimeout } from "../../../src/cli/status.ts";
import { controllerDoc, speakerN1, speakerN2 } from "./fixtures.ts";

const execFileP = promisify(execFile);
const bin = new URL("../../../bin/signalbox", import.meta.url).pathname;

async function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(bin, ["status", ...args], { encoding: "utf8", timeout: 30_000 });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout: string; stderr: string };
    assert.equal(typeof err.code, "number", `signalbox status did not exit: ${String(e)}`);
    return { status: err.code!, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A /status server on 127.0.0.1 answering `doc` (or never answering, with `undefined`). */
async function serve(doc: unknown): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    if (doc === undefined) return; // hangs: the client's timeout must end it
    if (req.url !== "/status") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<string> {
  const { server, address } = await serve({});
  await new Promise((r) => server.close(r));
  return address;
}

describe("signalbox status (standalone addresses)", () => {
  const servers: Server[] = [];
  let n1 = "";
  let n2 = "";
  let ctl = "";
  let hang = "";
  before(async () => {
    for (const [doc, set] of [
      [speakerN1, (a: string) => (n1 = a)],
      [speakerN2, (a: string) => (n2 = a)],
      [controllerDoc, (a: string) => (ctl = a)],
      [undefined, (a: string) => (hang = a)],
    ] as const) {
      const s = await serve(doc);
      servers.push(s.server);
      set(s.address);
    }
  });
  after(() => {
    for (const s of servers) s.closeAllConnections();
    for (const s of servers) s.close();
  });

  it("every process answers: exit 0, the tables on stdout, nothing on stderr", async () => {
    const r = await run(["--speakers", `${n1},${n2}`, "--controller", ctl]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^Controller signalbox-controller-7d9f-abcde \(127\.0\.0\.1:\d+\): leader/);
    assert.match(r.stdout, /BGP sessions on n1 \(127\.0\.0\.1:\d+\): config valid/);
    assert.match(r.stdout, /^apps\/local +192\.0\.2\.0 +web +n2 +n1 \(noLocalEndpoints\)$/m);
  });

  it("an unreachable speaker is named on stderr, exit 1, and the others are still shown", async () => {
    const dead = await closedPort();
    const r = await run(["--speakers", `${n1},${dead}`, "--controller", ctl]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `signalbox status: cannot reach speaker ${dead}: connection refused\n`);
    assert.match(r.stdout, /BGP sessions on n1 /);
    assert.match(r.stdout, new RegExp(`BGP sessions on ${dead}: UNREACHABLE: connection refused`));
  });

  it("a process that does not answer is cut off by --timeout", async () => {
    const t0 = Date.now();
    const r = await run(["--speakers", n1, "--controller", hang, "--timeout", "300ms"]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `signalbox status: cannot reach controller ${hang}: no answer within 0.3 s\n`);
    assert.ok(Date.now() - t0 < 10_000);
    assert.match(r.stdout, /BGP sessions on n1 /);
  });

  it("status service NS/NAME explains one Service; an unknown one exits 1", async () => {
    const r = await run(["service", "apps/local", "--speakers", `${n1},${n2}`, "--controller", ctl]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Service apps\/local$/m);
    assert.match(r.stdout, /n1: does not announce 192\.0\.2\.0: externalTrafficPolicy is Local/);
    const u = await run(["service", "apps/nope", "--speakers", n1]);
    assert.equal(u.status, 1);
    assert.match(u.stdout, /not known/);
  });

  it("--json prints one merged document", async () => {
    const r = await run(["--json", "--speakers", `${n1},${n2}`, "--controller", ctl]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { ok: boolean; sessions: unknown[]; services: { service: string }[] };
    assert.equal(j.ok, true);
    assert.equal(j.sessions.length, 2);
    assert.deepEqual(
      j.services.map((s) => s.service),
      ["apps/lan", "apps/local", "apps/pinned", "apps/web"],
    );
  });
});

describe("signalbox status: usage and credentials (in process)", () => {
  /** main() with stderr captured (it writes nothing to stdout on these paths). */
  async function inProcess(args: string[]): Promise<{ status: number; stderr: string }> {
    let stderr = "";
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      stderr += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      return { status: await main(args), stderr };
    } finally {
      process.stderr.write = write;
    }
  }

  it("usage errors exit 2", async () => {
    for (const args of [
      ["bogus"],
      ["service"],
      ["service", "a/b/c", "--speakers", "127.0.0.1:1"],
      ["--speakers", "nonsense"],
      ["--speakers", "127.0.0.1:70000"],
      ["--timeout", "soon", "--speakers", "127.0.0.1:7473"],
      ["--speakers", "127.0.0.1:7473", "--namespace", "x"],
      ["--unknown-flag"],
    ]) {
      const r = await inProcess(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^signalbox status: /);
    }
  });

  it("without API credentials: exit 1 and why", async () => {
    const r = await inProcess(["--kubeconfig", "/nonexistent/kubeconfig"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^signalbox status: cannot load API credentials/);
  });
});

describe("status.ts parsers", () => {
  it("parseTimeout", () => {
    assert.equal(parseTimeout("3s"), 3000);
    assert.equal(parseTimeout("500ms"), 500);
    assert.equal(parseTimeout("2"), 2000);
    assert.equal(parseTimeout("0s"), undefined);
    assert.equal(parseTimeout("3m"), undefined);
  });
  it("parseAddressList", () => {
    assert.deepEqual(parseAddressList("10.0.0.1:7473, [fd00::1]:7473,node-2:7473"), {
      ok: true,
      addresses: ["10.0.0.1:7473", "[fd00::1]:7473", "node-2:7473"],
    });
    assert.deepEqual(parseAddressList("10.0.0.1"), { ok: false, bad: "10.0.0.1" });
    assert.deepEqual(parseAddressList("fd00::1:7473"), { ok: false, bad: "fd00::1:7473" });
  });
  it("describeFetchError", () => {
    assert.equal(
      describeFetchError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }), 3000),
      "connection refused",
    );
    assert.equal(
      describeFetchError(Object.assign(new Error("aborted"), { name: "AbortError" }), 3000),
      "no answer within 3 s",
    );
  });
});
