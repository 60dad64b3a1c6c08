/**
 * `npm run bench:codec`: prefixes per second for encoding (packing) and decoding (framing +
 * decoding) UPDATEs full of /32 and of /128 routes, on one core. Target: ≥ 2 M/s each way.
 *
 * The same wire bytes are written to a temporary folder and, when Go is available, decoded
 * and encoded by GoBGP's packet library (bench/codec-ref/, built from the Go module proxy) in
 * the same run, so the ratio to a reference implementation is printed beside our figures.
 *
 * Options: --prefixes N (default 1 000 000), --rounds R (default 5; the median is reported).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  AttrFlag,
  AttrType,
  type CodecContext,
  decodeMessage,
  Framer,
  mpReachOf,
  packAnnouncements,
  packWithdrawals,
  type RouteGroup,
  type UpdateMessage,
} from "../protocol/bgp/index.ts";
import { IpAddress, Prefix } from "../protocol/ip/index.ts";

const { values } = parseArgs({
  options: { prefixes: { type: "string", default: "1000000" }, rounds: { type: "string", default: "5" } },
});
const N = Number(values.prefixes);
const ROUNDS = Number(values.rounds);
const ctx: CodecContext = { fourOctetAs: true, extendedMessage: false, ibgp: false };

function groupOf(family: 4 | 6): RouteGroup {
  const prefixes: Prefix[] = new Array(N);
  for (let i = 0; i < N; i++) {
    prefixes[i] = family === 4 ? new Prefix(4, 32, 0x64400000 + i) : new Prefix(6, 128, 0x20010db8, 0, 0, i);
  }
  return {
    family,
    attributes: [
      { typeCode: AttrType.ORIGIN, flags: AttrFlag.TRANSITIVE, origin: 0 },
      { typeCode: AttrType.AS_PATH, flags: AttrFlag.TRANSITIVE, segments: [{ type: 2, asns: [65001] }] },
      {
        typeCode: AttrType.COMMUNITIES,
        flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
        communities: [0xfde80064],
      },
    ],
    nextHops: [family === 4 ? IpAddress.of("10.250.0.1") : IpAddress.of("2001:db8:ffff::1")],
    prefixes,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => number): { seconds: number; count: number } {
  const samples: number[] = [];
  let count = 0;
  fn(); // warm-up: JIT
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    count = fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return { seconds: median(samples), count };
}

function decodeStream(stream: Uint8Array, family: 4 | 6): number {
  const framer = new Framer();
  let prefixes = 0;
  // Feed it as a socket would: 64 KiB reads.
  for (let at = 0; at < stream.length; at += 65536) {
    const { frames, error } = framer.push(stream.subarray(at, at + 65536));
    if (error) throw new Error(error.reason);
    for (const f of frames) {
      const r = decodeMessage(f, ctx);
      if (!r.ok || r.value.type !== "UPDATE") throw new Error("decode failed");
      const u = r.value as UpdateMessage;
      prefixes += family === 4 ? u.nlri.length + u.withdrawn.length : (mpReachOf(u)?.nlri.length ?? 0);
    }
  }
  return prefixes;
}

interface Row {
  what: string;
  perSecond: number;
  messages: number;
}

const rows: Row[] = [];
const dir = mkdtempSync(join(tmpdir(), "signalbox-bench-codec-"));
try {
  for (const family of [4, 6] as const) {
    const group = groupOf(family);
    const label = family === 4 ? "/32" : "/128";
    let messages: Uint8Array[] = [];
    const enc = time(() => {
      messages = packAnnouncements(group, ctx);
      return N;
    });
    rows.push({
      what: `encode ${label} announcements`,
      perSecond: enc.count / enc.seconds,
      messages: messages.length,
    });
    const stream = Buffer.concat(messages);
    writeFileSync(join(dir, `ipv${family}.bgp`), stream);
    const dec = time(() => decodeStream(stream, family));
    if (dec.count !== N) throw new Error(`decoded ${dec.count} of ${N}`);
    rows.push({
      what: `decode ${label} announcements`,
      perSecond: dec.count / dec.seconds,
      messages: messages.length,
    });
    let withdrawals: Uint8Array[] = [];
    const wenc = time(() => {
      withdrawals = packWithdrawals(family, group.prefixes, ctx);
      return N;
    });
    rows.push({
      what: `encode ${label} withdrawals`,
      perSecond: wenc.count / wenc.seconds,
      messages: withdrawals.length,
    });
    if (family === 4) {
      const wstream = Buffer.concat(withdrawals);
      const wdec = time(() => decodeStream(wstream, 4));
      rows.push({
        what: `decode ${label} withdrawals`,
        perSecond: wdec.count / wdec.seconds,
        messages: withdrawals.length,
      });
    }
  }

  const reference = runReference(dir);
  const target = 2e6;
  console.log(
    `signalbox BGP codec, ${N.toLocaleString("en")} prefixes, median of ${ROUNDS} rounds, one core (Node ${process.version})`,
  );
  console.log("");
  const head = [
    "case",
    "UPDATEs",
    "prefixes/s",
    "target 2M/s",
    reference ? "GoBGP prefixes/s" : "",
    reference ? "ratio" : "",
  ];
  console.log(`| ${head.filter(Boolean).join(" | ")} |`);
  console.log(
    `|${head
      .filter(Boolean)
      .map(() => "---")
      .join("|")}|`,
  );
  for (const r of rows) {
    const ref = reference?.[r.what];
    const cells = [
      r.what,
      String(r.messages),
      `${(r.perSecond / 1e6).toFixed(2)} M`,
      r.perSecond >= target ? "met" : "MISSED",
      ...(reference
        ? [ref ? `${(ref / 1e6).toFixed(2)} M` : "—", ref ? `${(r.perSecond / ref).toFixed(2)}×` : "—"]
        : []),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
  if (!reference) console.log("\n(GoBGP reference not run: needs `go`; see bench/codec-ref/README.md)");
  const missed = rows.filter((r) => r.perSecond < target);
  if (missed.length > 0) console.log(`\n${missed.length} case(s) below the 2 M prefixes/s target`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs the GoBGP reference on the same wire bytes; undefined when Go or the module is unavailable. */
function runReference(data: string): Record<string, number> | undefined {
  const refDir = join(import.meta.dirname, "codec-ref");
  if (!existsSync(join(refDir, "main.go"))) return undefined;
  // Go's Debian-independent install lives in /usr/local/go; it is often not on PATH.
  const go = ["go", "/usr/local/go/bin/go"].find((g) => spawnSync(g, ["version"]).status === 0);
  if (go === undefined) return undefined;
  const bin = join(data, "codec-ref");
  try {
    execFileSync(go, ["build", "-o", bin, "."], {
      cwd: refDir,
      stdio: ["ignore", "ignore", "inherit"],
      timeout: 600_000,
    });
    const out = execFileSync(bin, ["-data", data, "-rounds", String(ROUNDS), "-n", String(N)], {
      encoding: "utf8",
      timeout: 600_000,
    });
    return JSON.parse(out) as Record<string, number>;
  } catch (e) {
    console.error(`GoBGP reference failed: ${(e as Error).message}`);
    return undefined;
  }
}
