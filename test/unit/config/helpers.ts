/** Shared helpers for the config tests: parse, and assert issues with path, message and position. */
import assert from "node:assert/strict";
import { type Config, type ConfigIssue, parseConfig } from "../../../src/config/index.ts";

/** Strips the common indentation of a template literal, and its first and last empty lines. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = String.raw({ raw: strings }, ...values)
    .replace(/^\n/, "")
    .replace(/\n[ ]*$/, "\n");
  const indent = Math.min(
    ...raw
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => l.length - l.trimStart().length),
  );
  return raw
    .split("\n")
    .map((l) => l.slice(indent))
    .join("\n");
}

/** Line and column (1-based) of the n-th occurrence (from 1) of `needle` in `text`. */
export function at(text: string, needle: string, nth = 1): { line: number; column: number } {
  let i = -1;
  for (let k = 0; k < nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`${needle} not in text`);
  }
  const before = text.slice(0, i).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

export function valid(text: string): { config: Config; warnings: readonly ConfigIssue[] } {
  const r = parseConfig(text);
  if (!r.ok)
    assert.fail(`expected a valid config, got:\n${r.errors.map((e) => JSON.stringify(e)).join("\n")}`);
  return { config: r.config, warnings: r.warnings };
}

export function invalid(text: string): readonly ConfigIssue[] {
  const r = parseConfig(text);
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.errors;
}

export interface Expected {
  path: string;
  message: string | RegExp;
  line?: number;
  column?: number;
}

/** Finds the issue with `path` and checks its message and position. */
export function expectIssue(issues: readonly ConfigIssue[], e: Expected): ConfigIssue {
  const found = issues.filter((i) => i.path === e.path);
  assert.ok(
    found.length > 0,
    `no issue at ${e.path}; got:\n${issues.map((i) => JSON.stringify(i)).join("\n")}`,
  );
  const match = found.find((i) =>
    typeof e.message === "string" ? i.message === e.message : e.message.test(i.message),
  );
  assert.ok(
    match,
    `no issue at ${e.path} with message ${e.message}; got:\n${found.map((i) => i.message).join("\n")}`,
  );
  if (e.line !== undefined) assert.equal(match.line, e.line, `line of ${e.path}`);
  if (e.column !== undefined) assert.equal(match.column, e.column, `column of ${e.path}`);
  return match;
}

/** The single error of a config that should have exactly one. */
export function onlyError(text: string, e: Expected): ConfigIssue {
  const errors = invalid(text);
  assert.equal(
    errors.length,
    1,
    `expected one error, got:\n${errors.map((i) => JSON.stringify(i)).join("\n")}`,
  );
  return expectIssue(errors, e);
}

/** A minimal valid pool, to wrap peers tests. */
export const pool = yaml`
  address-pools:
  - name: p
    protocol: bgp
    addresses: [192.0.2.0/24]
`;
