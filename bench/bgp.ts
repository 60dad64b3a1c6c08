/**
 * `npm run bench:bgp` (root): runs ../shared/bench/prefix-flood.sh with GoBGP, ExaBGP and
 * signalbox (bench/bgp-speaker.ts) in the same run, then prints our figures next to theirs.
 * Targets (issue 4): at 100 000 routes, ≥ 5× GoBGP's routes per second, peak RSS < 100 MB,
 * and withdrawal of all of them as fast.
 *
 * Options: --counts 10000,100000  --repeat 3  --speakers gobgp,exabgp  --harness PATH
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    counts: { type: "string", default: "10000,100000" },
    repeat: { type: "string", default: "3" },
    speakers: { type: "string", default: "gobgp,exabgp" },
    harness: { type: "string", default: resolve(root, "../shared/bench/prefix-flood.sh") },
  },
});

if (!existsSync(values.harness)) {
  console.error(`prefix-flood harness not found at ${values.harness}`);
  process.exit(2);
}
const out = mkdtempSync(join(tmpdir(), "signalbox-bench-bgp-"));
const node = process.execPath;
// The speaker runs compiled, as in production: type stripping at load time costs ~40 MB RSS.
const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) process.exit(1);
// The same Node flags as bin/signalbox: a 1 MB young generation keeps peak RSS low.
const flags = process.env.SPEAKER_NODE_FLAGS ?? "--max-semi-space-size=4";
const speakerCmd = `${node} ${flags} ${join(root, "dist/bench/bgp-speaker.js")}`;
const run = spawnSync(
  "bash",
  [
    values.harness,
    "-s",
    `${values.speakers},cmd`,
    "-n",
    values.counts,
    "-r",
    values.repeat,
    "-o",
    out,
    "-t",
    "120",
  ],
  {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, SPEAKER_NAME: "signalbox", SPEAKER_CMD: speakerCmd },
  },
);
if (run.status !== 0) {
  console.error(`prefix-flood.sh exited ${run.status}`);
  process.exit(1);
}

interface Result {
  speaker: string;
  N: number;
  est_to_all_s?: number | null;
  withdraw_s?: number | null;
  readd_s?: number | null;
  peak_rss_mb?: number | null;
  [k: string]: unknown;
}
const results: Result[] = readFileSync(join(out, "results.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Result);
const report = spawnSync("python3", [join(values.harness, "../lib/report.py"), join(out, "results.jsonl")], {
  encoding: "utf8",
});
console.log(`\n${report.stdout}`);

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
};
const pick = (speaker: string, n: number, field: string) =>
  median(results.filter((r) => r.speaker === speaker && r.N === n).map((r) => Number(r[field])));

console.log("### signalbox against the references measured in this run (medians)\n");
console.log("| N | speaker | est→all s | routes/s | withdraw s | peak RSS MB | routes/s vs GoBGP |");
console.log("|---:|---|---:|---:|---:|---:|---:|");
for (const n of values.counts.split(",").map(Number)) {
  const gobgp = n / pick("gobgp", n, "est_to_all_s");
  for (const speaker of [...values.speakers.split(","), "signalbox"]) {
    const t = pick(speaker, n, "est_to_all_s");
    const rate = n / t;
    const cells = [
      n,
      speaker,
      t.toFixed(3),
      Math.round(rate).toLocaleString("en"),
      pick(speaker, n, "withdraw_s").toFixed(3),
      pick(speaker, n, "peak_rss_mb").toFixed(0),
      Number.isFinite(gobgp) ? `${(rate / gobgp).toFixed(2)}×` : "—",
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
}
rmSync(out, { recursive: true, force: true });
