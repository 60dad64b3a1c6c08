/** "Did you mean …" for unknown keys: the closest known key, if it is close enough. */

/** Levenshtein distance (insert, delete, substitute; each costs 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, sub));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Case and separators do not count: `bfdProfile`, `bfd_profile` and `BFD-Profile` all mean `bfd-profile`. */
function squash(s: string): string {
  return s.toLowerCase().replace(/[-_ ]/g, "");
}

/**
 * The known key closest to `unknown`, or undefined if none is plausibly meant. A key that
 * differs only in case or separators always matches; otherwise the edit distance may be at
 * most a third of the key's length (at least 1, at most 3).
 */
export function closest(unknown: string, known: readonly string[]): string | undefined {
  const u = squash(unknown);
  const same = known.find((k) => squash(k) === u);
  if (same !== undefined) return same;
  const limit = Math.max(1, Math.min(3, Math.floor(unknown.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of known) {
    const d = Math.min(editDistance(unknown, k), editDistance(u, squash(k)));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}
