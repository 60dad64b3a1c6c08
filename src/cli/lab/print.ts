/**
 * The lab's output: numbered steps with an indented body, short aligned tables, and the
 * failing step named when one fails.
 */

export class StepFailed extends Error {
  override readonly name = "StepFailed";
  readonly step: number;
  readonly title: string;
  constructor(step: number, title: string, cause: unknown) {
    super(`step ${step} (${title}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.step = step;
    this.title = title;
  }
}

export class Printer {
  #step = 0;
  readonly write: (text: string) => void;
  constructor(write: (text: string) => void = (t) => process.stdout.write(t)) {
    this.write = write;
  }

  line(text = ""): void {
    this.write(`${text}\n`);
  }

  /** Indented lines of a step's body. */
  say(...lines: string[]): void {
    for (const l of lines.join("\n").split("\n")) this.write(`    ${l}\n`);
  }

  table(headers: readonly string[], rows: readonly (readonly string[])[]): void {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const fmt = (r: readonly string[]) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd();
    this.say(fmt(headers), ...rows.map(fmt));
  }

  /** Runs one numbered step; a failure becomes StepFailed naming it. */
  async step<T>(title: string, fn: () => Promise<T>): Promise<T> {
    const n = ++this.#step;
    const started = Date.now();
    this.line();
    this.line(`[${n}] ${title}`);
    try {
      const r = await fn();
      this.say(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return r;
    } catch (e) {
      throw e instanceof StepFailed ? e : new StepFailed(n, title, e);
    }
  }
}

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
