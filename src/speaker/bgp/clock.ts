/**
 * Time and randomness, injected (DESIGN.md): the session runtime never calls setTimeout or
 * Math.random directly, so tests drive it with a fake clock and a fixed random source.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin (monotonic). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for status timestamps. */
  wallNow(): number;
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Returns a number in [0, 1). */
export type Random = () => number;

/**
 * RFC 4271 §10: jittered timers fire at a random point in [0.75·T, T] so that peers do not
 * synchronise.
 */
export function jittered(seconds: number, random: Random): number {
  return seconds * (0.75 + 0.25 * random());
}
