/**
 * Dependency rule of DESIGN.md: protocol/ is pure. It may import only other protocol/
 * modules and the pure libraries listed here, never I/O (`node:*`), the logger or src/.
 * Run by `npm run lint`; exits 1 and lists every offending import.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const pureLibraries = new Set(["ip-address"]);

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const re =
    /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;
  for (const m of source.matchAll(re)) found.push((m[1] ?? m[2] ?? m[3])!);
  return found;
}

export function violations(file: string, source: string): string[] {
  const out: string[] = [];
  for (const spec of importsOf(source)) {
    if (spec.startsWith(".")) {
      const target = relative(root, resolve(dirname(file), spec));
      if (!target.startsWith("protocol/"))
        out.push(`${relative(root, file)}: imports ${spec} (outside protocol/)`);
    } else if (!pureLibraries.has(spec)) {
      out.push(`${relative(root, file)}: imports ${spec} (I/O or unlisted library)`);
    }
  }
  return out;
}

if (import.meta.main) {
  const problems = [...tsFiles(join(root, "protocol"))].flatMap((f) =>
    violations(f, readFileSync(f, "utf8")),
  );
  if (problems.length > 0) {
    process.stderr.write(
      `protocol/ must stay free of I/O (DESIGN.md):\n${problems.map((p) => `  ${p}`).join("\n")}\n`,
    );
    process.exit(1);
  }
  process.stdout.write("layering: protocol/ imports only protocol/ and pure libraries\n");
}
