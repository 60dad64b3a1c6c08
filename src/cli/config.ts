/**
 * `signalbox config check FILE`: validate a MetalLB-format ConfigMap manifest, or its bare
 * `config` YAML, without a cluster. Exit 0 with a one-line summary when valid (warnings on
 * stderr), 1 with every error when not, 2 on usage errors or an unreadable file.
 */
import { readFileSync } from "node:fs";
import { formatIssue, parseConfig, summarize } from "../config/index.ts";

const usage = `Usage: signalbox config check FILE

Validates FILE, a ConfigMap manifest (data.config) or the bare config YAML in MetalLB's
legacy format, and reports every problem with its field path, line and column.
FILE may be - for standard input.

Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable file.`;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export async function main(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === "--help" || verb === "-h" || verb === "help") {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (verb !== "check" || rest.length !== 1 || (rest[0] !== "-" && rest[0]!.startsWith("-"))) {
    const why =
      verb === undefined
        ? "missing subcommand"
        : verb !== "check"
          ? `unknown subcommand '${verb}'`
          : "expected one FILE";
    process.stderr.write(`signalbox config: ${why}\n\n${usage}\n`);
    return 2;
  }
  const file = rest[0]!;
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    process.stderr.write(`signalbox config: cannot read ${file}: ${code}\n`);
    return 2;
  }
  const result = parseConfig(text);
  const warnings = result.warnings.map((w) => `warning: ${formatIssue(w)}\n`).join("");
  if (result.ok) {
    process.stderr.write(warnings);
    process.stdout.write(`${summarize(result.config, result.warnings)}\n`);
    return 0;
  }
  const errors = result.errors.map((e) => `error: ${formatIssue(e)}\n`).join("");
  const tail = result.warnings.length > 0 ? `, ${plural(result.warnings.length, "warning")}` : "";
  process.stderr.write(
    `${errors}${warnings}config invalid (${file}): ${plural(result.errors.length, "error")}${tail}\n`,
  );
  return 1;
}
