// The lab (`signalbox lab --once`, what `npm start -- --once` runs; issue #9), end to end: it
// builds its spine, two FRR ToRs, four speakers and a client in namespaces, prints its steps,
// exits 0, and leaves no namespace, process or folder behind. The output's key lines are
// checked here: the allocations, every session Established at each ToR, the ECMP next hops
// (equal, then weighted 25/25/50 at ToR r2 and 20/80 at the spine), the rack balance warning,
// and the distributions: with weighting on, n1 (alone in rack r1) takes clearly less.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { allocate, configYaml } from "../../src/cli/lab/sample.ts";
import { parseConfig } from "../../src/config/index.ts";
import { findExecutable, isAlive, isCI, need } from "./lib/index.ts";

const BIN = new URL("../../bin/signalbox", import.meta.url).pathname;
const TIMEOUT_MS = 240_000;

/** Runs the lab to its end, bounded: SIGTERM (the lab cleans up) then SIGKILL, by PID. */
function runLab(): Promise<{ code: number | null; out: string; err: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, ["lab", "--once"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    const term = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
    }, TIMEOUT_MS);
    const kill = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS + 15_000);
    child.on("close", (code) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve({ code, out, err, timedOut });
    });
  });
}

/** Processes whose command line mentions `text` (the lab's run id is in every path it uses). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, "utf8").includes(text) && isAlive(Number(e)))
        found.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The percentages of a table row that starts with `node  rack`. */
function row(out: string, header: RegExp, node: string): number[] {
  const at = out.search(header);
  assert.ok(at >= 0, `no ${header} in the output`);
  const line = out
    .slice(at)
    .split("\n")
    .find((l) => new RegExp(`^\\s+${node}\\s+r\\d\\s`).test(l));
  assert.ok(line, `no row for ${node} after ${header}`);
  return [...line.matchAll(/(\d+\.\d)%/g)].map((m) => Number(m[1]) / 100);
}

test("signalbox lab --once: plain ECMP, the warning, then weighted ECMP; nothing left behind", async (t) => {
  if (!need(t, ["frr"])) return;
  if (findExecutable("curl") === undefined) {
    if (isCI()) throw new Error("CI=true and curl is missing (Debian package curl)");
    t.skip("the lab needs curl (Debian package curl)");
    return;
  }
  const r = await runLab();
  const out = r.out;
  t.diagnostic(
    out
      .split("\n")
      .filter((l) => /%|weight \d/.test(l))
      .join("\n"),
  );
  assert.equal(r.timedOut, false, `the lab ran over ${TIMEOUT_MS / 1000} s:\n${out}\n${r.err}`);
  assert.equal(r.code, 0, `the lab failed:\n${r.err}\n--- stdout:\n${out.slice(-3000)}`);
  assert.match(out, /lab: every step passed/);

  // Allocations from the sample config's pools.
  assert.match(out, /default\/web\s+Local\s+public\s+198\.51\.100\.\d+/);
  assert.match(out, /default\/api\s+Cluster\s+public\s+198\.51\.100\.\d+/);
  assert.match(out, /default\/intranet\s+Local\s+rack2-l2\s+10\.77\.12\.24\d/);
  const web = /default\/web\s+Local\s+public\s+(198\.51\.100\.\d+)/.exec(out)![1]!.replaceAll(".", "\\.");

  // Sessions: every node Established at its ToR, both ToRs at the spine.
  for (const [tor, node, addr] of [
    ["tor-r1", "n1", "10.77.11.11"],
    ["tor-r2", "n2", "10.77.12.12"],
    ["tor-r2", "n3", "10.77.12.13"],
    ["tor-r2", "n4", "10.77.12.14"],
    ["spine", "tor-r1", "10.77.1.2"],
    ["spine", "tor-r2", "10.77.2.2"],
  ] as const)
    assert.match(
      out,
      new RegExp(`${tor}\\s+${addr.replaceAll(".", "\\.")}\\s+${node}\\s+\\d+\\s+Established`),
    );

  // ECMP next hops: equal first, then weighted as FRR computes from our link bandwidths.
  const hop = (who: string, w: number) => `${who} \\([\\d.]+\\) weight ${w}`;
  const route = (router: string, hops: string[]) =>
    new RegExp(`${router}\\s+${web}/32 \\(web\\)\\s+${hops.join(", ")}`);
  assert.match(out, route("tor-r2", [hop("n2", 1), hop("n3", 1), hop("n4", 1)]));
  assert.match(out, route("spine", [hop("tor-r1", 1), hop("tor-r2", 1)]));
  assert.match(out, route("tor-r2", [hop("n2", 25), hop("n3", 25), hop("n4", 50)]));
  assert.match(out, route("spine", [hop("tor-r1", 20), hop("tor-r2", 80)]));

  // The rack balance warning, then none once the pool weights.
  assert.match(out, /uneven ECMP for Service default\/web: the busiest endpoint takes 2\.5× its fair share/);
  assert.match(out, /no rack balance warning any more/);

  // Layer 2: one node of r2 answers, and the ToR resolved the IP to its MAC.
  assert.match(out, /elected: n[34] /);
  assert.match(out, /20 requests from the client: n[34] 20/);

  // Distributions: [plain expected, plain measured, weighted expected, weighted measured].
  const [pe, pm, we, wm] = row(out, /Traffic, weighted/, "n1");
  assert.equal(pe, 0.5);
  assert.equal(we, 0.2);
  assert.ok(pm! > 0.35, `n1 took ${pm} with plain ECMP, expected about 0.5`);
  assert.ok(wm! < pm! - 0.15 && wm! < 0.3, `n1 took ${wm} weighted (plain: ${pm}), expected about 0.2`);
  const [, , , n4] = row(out, /Traffic, weighted/, "n4");
  assert.ok(n4! > 0.25, `n4 (2 of 5 endpoints) took ${n4} weighted, expected about 0.4`);

  // signalbox status worked against the four speakers: sessions per node, and per Service
  // who announces it and why the others do not.
  assert.match(out, /BGP sessions on n4 \(10\.77\.12\.14:7473\): config valid/);
  for (const n of ["n1", "n2", "n3", "n4"])
    assert.match(
      out,
      new RegExp(`BGP sessions on ${n} [^\\n]*\\n[^\\n]*\\n\\s+\\S+\\s+64600\\s+650\\d\\d\\s+Established`),
    );
  assert.match(out, /default\/web\s+198\.51\.100\.2\s+public\s+n1, n2, n3, n4\s+-/);
  assert.match(
    out,
    /default\/intranet\s+10\.77\.12\.240\s+rack2-l2\s+n[34]\s+n1, n2 \(noLocalEndpoints\); n[34] \(notAnswering\)/,
  );

  // Nothing left: namespaces, processes (every PID the lab printed, anything naming its run), folder.
  const runId = /namespaces (sbxlab-[0-9a-f]{6}-)\*/.exec(out)?.[1];
  assert.ok(runId, "the lab names its namespaces");
  const netns = existsSync("/run/netns") ? readdirSync("/run/netns") : [];
  assert.deepEqual(
    netns.filter((n) => n.startsWith(runId)),
    [],
  );
  const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
  assert.ok(pids.length >= 14, `the lab printed ${pids.length} PIDs (routers, speakers, backends)`);
  assert.deepEqual(
    pids.filter((p) => isAlive(p)),
    [],
    "processes of the lab still alive",
  );
  assert.deepEqual(processesMentioning(runId), []);
  const dir = /logs and manifests in (\S+)\)/.exec(out)?.[1];
  assert.ok(dir !== undefined && !existsSync(dir), `the lab's folder ${dir} remains`);
});

test("the lab's sample config is valid in both phases, and the allocator gives every Service an IP", () => {
  for (const linkBandwidth of [false, true]) {
    const r = parseConfig(configYaml(linkBandwidth));
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.warnings, []);
    const pub = r.config.addressPools.find((p) => p.name === "public");
    assert.equal(pub?.linkBandwidth, linkBandwidth ? "endpoints" : "off");
  }
  assert.deepEqual(
    allocate().map((a) => [a.service.name, a.ip, a.pool]),
    [
      ["web", "198.51.100.2", "public"],
      ["api", "198.51.100.1", "public"],
      ["intranet", "10.77.12.240", "rack2-l2"],
    ],
  );
});
