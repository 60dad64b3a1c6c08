/**
 * Go duration strings, as MetalLB reads `hold-time` and `keepalive-time` (Go `time.ParseDuration`):
 * an optional sign and a sequence of decimal numbers with units, e.g. `90s`, `1m30s`, `1.5h`,
 * `300ms`. Valid units are ns, us (or µs/μs), ms, s, m, h; "0" alone needs no unit.
 */

const unitNanos: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const maxNanos = (1n << 63n) - 1n; // Go's time.Duration is an int64 of nanoseconds

/** Nanoseconds, or a reason the text is not a duration. */
export function parseGoDuration(text: string): { ok: true; nanos: bigint } | { ok: false; reason: string } {
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return { ok: true, nanos: 0n };
  if (s === "") return { ok: false, reason: "empty duration" };
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?([^\d.]*)/;
  while (s !== "") {
    const m = part.exec(s)!;
    const [whole, int = "", frac = "", unit = ""] = m;
    if (int === "" && frac === "") return { ok: false, reason: "expected a number" };
    if (unit === "") return { ok: false, reason: "missing unit (ns, us, ms, s, m or h)" };
    const scale = unitNanos[unit];
    if (scale === undefined) return { ok: false, reason: `unknown unit ${JSON.stringify(unit)}` };
    // Exact: integer part times the unit, plus the fraction scaled down (Go truncates the rest).
    let nanos = BigInt(int === "" ? "0" : int) * scale;
    if (frac !== "") nanos += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    total += nanos;
    if (total > maxNanos) return { ok: false, reason: "out of range" };
    s = s.slice(whole.length);
  }
  return { ok: true, nanos: negative ? -total : total };
}

/** Whole seconds, truncated toward zero (MetalLB's `time.Duration(int(d.Seconds())) * time.Second`). */
export function truncateToSeconds(nanos: bigint): number {
  return Number(nanos / 1_000_000_000n);
}

/** Text form for messages and summaries: `90s`, `1m30s`, `0s`, `1.5s`. */
export function formatSeconds(seconds: number): string {
  if (seconds === 0) return "0s";
  const sign = seconds < 0 ? "-" : "";
  let rest = Math.abs(seconds);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  rest -= m * 60;
  const s = Math.round(rest * 1e9) / 1e9;
  return `${sign}${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${s > 0 || (h === 0 && m === 0) ? `${s}s` : ""}`;
}
