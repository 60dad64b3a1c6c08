/**
 * From file text to the YAML document that holds the config: either the bare `config` YAML or
 * a ConfigMap manifest whose `data.config` string holds it. Positions inside `data.config`
 * are mapped back to the manifest's lines and columns when the string is a `|` block, which
 * is how everyone writes it; otherwise they point at the start of the string.
 */
import {
  type Document,
  type ErrorCode,
  isMap,
  isScalar,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  type Scalar,
} from "yaml";
import type { ConfigIssue } from "./issues.ts";
import type { Locate, Position } from "./reader.ts";

export type Loaded =
  | {
      readonly ok: true;
      readonly doc: Document;
      readonly locate: Locate;
      readonly fallback: Position | undefined;
      /** Whether the input was a ConfigMap manifest. */
      readonly manifest: boolean;
      /** Problems with the manifest around the config (warnings only when ok). */
      readonly warnings: readonly ConfigIssue[];
    }
  | {
      readonly ok: false;
      readonly errors: readonly ConfigIssue[];
      readonly warnings: readonly ConfigIssue[];
    };

// prettyErrors would quote the offending source line in the message, and that line may hold a
// password: positions are computed here instead.
const yamlOptions = { prettyErrors: false, uniqueKeys: true, maxAliasCount: 1000 } as const;

// The yaml library's messages sometimes quote the offending token, which may be a password.
// Its fixed messages pass through; any other is replaced by a description of its code.
const fixedMessages = new Set([
  "Map keys must be unique",
  'Missing closing "quote',
  "Missing closing 'quote",
  "Nested mappings are not allowed in compact mappings",
  "Implicit map keys need to be followed by map values",
  "Implicit keys need to be on a single line",
  "All mapping items must start at the same column",
  "All collection items must start at the same column",
  "Tabs are not allowed as indentation",
  "Sequence items must not have preceding content on the same line",
]);

const codeMessages: Readonly<Record<ErrorCode, string>> = {
  ALIAS_PROPS: "an alias cannot have an anchor or a tag",
  BAD_ALIAS: "an alias refers to an unknown anchor",
  BAD_DIRECTIVE: "bad directive",
  BAD_DQ_ESCAPE: "invalid escape sequence in a double-quoted string",
  BAD_INDENT: "bad indentation",
  BAD_PROP_ORDER: "anchor or tag in the wrong place",
  BAD_SCALAR_START: "a plain value cannot start with this character (quote it)",
  BLOCK_AS_IMPLICIT_KEY: "a block value cannot be a key",
  BLOCK_IN_FLOW: "a block value cannot be inside [ ] or { }",
  DUPLICATE_KEY: "Map keys must be unique",
  IMPOSSIBLE: "unparseable input",
  KEY_OVER_1024_CHARS: "a key is longer than 1024 characters",
  MISSING_CHAR: "a character is missing (closing quote or bracket, comma, colon or space)",
  MULTILINE_IMPLICIT_KEY: "a key must be on one line",
  MULTIPLE_ANCHORS: "a node has two anchors",
  MULTIPLE_DOCS: "several documents where one was expected",
  MULTIPLE_TAGS: "a node has two tags",
  NON_STRING_KEY: "keys must be strings",
  RESOURCE_EXHAUSTION: "too many alias expansions",
  TAB_AS_INDENT: "Tabs are not allowed as indentation",
  TAG_RESOLVE_FAILED: "unknown tag",
  UNEXPECTED_TOKEN: "unexpected content here (check indentation and quoting)",
  BAD_COLLECTION_TYPE: "a tag does not fit its value",
};

function yamlIssues(doc: Document, locate: Locate, fallback?: Position): ConfigIssue[] {
  return doc.errors.map((e) => {
    const p = locate(e.pos[0]) ?? fallback;
    const first = e.message.split("\n")[0]!;
    const message = `invalid YAML: ${fixedMessages.has(first) ? first : codeMessages[e.code]}`;
    return p === undefined ? { path: "", message } : { path: "", message, line: p.line, column: p.column };
  });
}

function lineLocate(lc: LineCounter): Locate {
  return (offset) => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
}

export function load(text: string): Loaded {
  const lc = new LineCounter();
  const parsed = parseAllDocuments(text, { ...yamlOptions, lineCounter: lc });
  const docs = Array.isArray(parsed) ? parsed : [];
  const locate = lineLocate(lc);
  const errors = docs.flatMap((d) => yamlIssues(d, locate));
  if (errors.length > 0) return { ok: false, errors, warnings: [] };

  const nonEmpty = docs.filter((d) => d.contents !== null);
  const isManifest = (d: Document) =>
    isMap(d.contents) && (d.contents.has("kind") || d.contents.has("apiVersion"));
  const manifests = nonEmpty.filter(isManifest);
  if (manifests.length === 0) {
    if (nonEmpty.length > 1) {
      const second = nonEmpty[1]!.contents?.range?.[0] ?? 0;
      const p = locate(second)!;
      return {
        ok: false,
        errors: [
          { path: "", message: "expected one YAML document, found several", line: p.line, column: p.column },
        ],
        warnings: [],
      };
    }
    const doc = nonEmpty[0] ?? docs[0] ?? parseDocument("", yamlOptions);
    return { ok: true, doc, locate, fallback: undefined, manifest: false, warnings: [] };
  }
  const configMaps = manifests.filter(
    (d) => (d.contents as { get(k: string): unknown }).get("kind") === "ConfigMap",
  );
  const withConfig = configMaps.filter((d) => d.hasIn(["data", "config"]));
  const candidates = withConfig.length > 0 ? withConfig : configMaps;
  if (candidates.length !== 1) {
    const kinds = manifests.map((d) =>
      String((d.contents as { get(k: string): unknown }).get("kind") ?? "?"),
    );
    const message =
      candidates.length === 0
        ? `no ConfigMap found (kinds in the file: ${kinds.join(", ")})`
        : "several ConfigMaps with data.config; pass the file of one";
    return { ok: false, errors: [{ path: "", message }], warnings: [] };
  }
  return fromManifest(text, candidates[0]!, lc);
}

function fromManifest(text: string, manifest: Document, lc: LineCounter): Loaded {
  const locate = lineLocate(lc);
  const at = (offset: number | undefined) => (offset === undefined ? undefined : locate(offset));
  const issue = (path: string, message: string, offset?: number): ConfigIssue => {
    const p = at(offset);
    return p === undefined ? { path, message } : { path, message, line: p.line, column: p.column };
  };
  const warnings: ConfigIssue[] = [];
  const data = manifest.get("data", true);
  const dataOffset = (manifest.contents as { range?: [number, number, number] }).range?.[0];
  if (!isMap(data)) {
    return {
      ok: false,
      errors: [issue("data.config", "missing: MetalLB reads its configuration from data.config", dataOffset)],
      warnings,
    };
  }
  for (const pair of data.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : "?";
    if (k !== "config")
      warnings.push(
        issue(
          `data.${k}`,
          "ignored: only data.config is read",
          (pair.key as { range?: number[] }).range?.[0],
        ),
      );
  }
  const value = data.get("config", true);
  if (!isScalar(value) || typeof value.value !== "string") {
    return {
      ok: false,
      errors: [
        issue(
          "data.config",
          value === undefined
            ? "missing: MetalLB reads its configuration from data.config"
            : "must be a string",
          value?.range?.[0] ?? data.range?.[0],
        ),
      ],
      warnings,
    };
  }
  const inner = value.value;
  const innerLc = new LineCounter();
  const doc = parseDocument(inner, { ...yamlOptions, lineCounter: innerLc });
  const fallback = at(value.range?.[0]);
  const map = literalMapper(text, value, innerLc);
  const innerLocate: Locate = (offset) => map(offset);
  const errors = yamlIssues(doc, innerLocate, fallback).map((e) => ({ ...e, path: "data.config" }));
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, doc, locate: innerLocate, fallback, manifest: true, warnings };
}

/**
 * For a `|` block scalar, line k of the value is source line (first content line + k - 1)
 * with the block's indentation in front. Each mapped line is checked against the source, so a
 * mapping that does not hold gives undefined (and the caller falls back) rather than a wrong line.
 */
function literalMapper(outer: string, s: Scalar, innerLc: LineCounter): Locate {
  const none: Locate = () => undefined;
  const start = s.range?.[0];
  if (s.type !== "BLOCK_LITERAL" || start === undefined) return none;
  const headerEnd = outer.indexOf("\n", start);
  if (headerEnd < 0) return none;
  const sourceLines = outer.slice(headerEnd + 1).split("\n");
  const firstLine = outer.slice(0, headerEnd + 1).split("\n").length; // 1-based line after the header
  const valueLines = (s.value as string).split("\n");
  return (offset) => {
    const p = innerLc.linePos(offset);
    const src = sourceLines[p.line - 1]?.replace(/\r$/, "");
    const val = valueLines[p.line - 1];
    if (src === undefined || val === undefined || !src.endsWith(val)) return undefined;
    const indent = src.length - val.length;
    if (src.slice(0, indent).trim() !== "") return undefined;
    return { line: firstLine + p.line - 1, column: p.col + indent };
  };
}
