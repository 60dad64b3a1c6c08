// Bounded waiting. Every wait in the network tests goes through waitFor (or has its own
// deadline): a test that hangs tells nobody anything, a test that says "waited 8 s for FRR
// session with 10.0.0.2 to be Established; last seen: Active" tells them where to look.

import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions<T> {
  /** What is being waited for, in words; it starts the error message. */
  what: string;
  /** Deadline for the whole wait (default 10 s). */
  timeoutMs?: number;
  /** Pause between two polls (default 100 ms). */
  intervalMs?: number;
  /** When the polled value counts as done (default: truthy). */
  until?: (value: T) => boolean;
}

export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  readonly what: string;
  readonly lastValue: unknown;
  constructor(what: string, timeoutMs: number, lastValue: unknown, lastError: unknown) {
    const seen =
      lastError !== undefined ? `last error: ${describe(lastError)}` : `last seen: ${describe(lastValue)}`;
    super(`timed out after ${timeoutMs} ms waiting for ${what}; ${seen}`, { cause: lastError });
    this.what = what;
    this.lastValue = lastValue;
  }
}

/**
 * Polls `fn` until `until(value)` holds (default: the value is truthy) and returns that value.
 * A poll that throws counts as "not yet"; its error is reported if the deadline passes.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitOptions<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const until = options.until ?? ((v: T) => Boolean(v));
  const deadline = Date.now() + timeoutMs;
  let lastValue: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      lastValue = value;
      lastError = undefined;
      if (until(value)) return value;
    } catch (err) {
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeoutError(options.what, timeoutMs, lastValue, lastError);
    await sleep(Math.min(intervalMs, left));
  }
}

/** A short, one-line rendering of any value for error messages. */
export function describe(value: unknown, max = 600): string {
  let text: string;
  if (value instanceof Error) text = `${value.name}: ${value.message}`;
  else if (typeof value === "string") text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}
