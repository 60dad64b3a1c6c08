/**
 * When to send gratuitous ARP and unsolicited NA (pure).
 *
 * On takeover the new owner announces at once and repeats, because a single frame can be
 * lost and a client may be busy: MetalLB repeats every 1.1 s for 5 s (anchors.md §d step 8,
 * #172). We front-load the repeats, since the first second decides our failover time, and
 * keep the same 5-second tail for slow clients.
 */

/** Offsets from the takeover, in milliseconds, of each announcement round. */
export const ANNOUNCE_OFFSETS_MS: readonly number[] = [0, 100, 300, 700, 1500, 2500, 3700, 5000];

/** How many rounds should have been sent by `now` for an announcement started at `start`. */
export function roundsDue(
  start: number,
  now: number,
  offsets: readonly number[] = ANNOUNCE_OFFSETS_MS,
): number {
  let n = 0;
  while (n < offsets.length && start + offsets[n]! <= now) n++;
  return n;
}

/** When the next round is due, or undefined when all were sent. */
export function nextRoundAt(
  start: number,
  sent: number,
  offsets: readonly number[] = ANNOUNCE_OFFSETS_MS,
): number | undefined {
  return sent < offsets.length ? start + offsets[sent]! : undefined;
}
