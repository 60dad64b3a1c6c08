/**
 * Typed reading of YAML nodes with field paths and positions. Every problem is recorded and
 * reading goes on, so one pass finds all of them. Scalars are read the way MetalLB's
 * `yaml.UnmarshalStrict` (go-yaml v2, YAML 1.1) reads them into Go fields: `yes`/`on` are
 * booleans, a plain `12345` is accepted where a string is expected, `0x`/leading-0 integers
 * are hex/octal, and null means "not set".
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, type Scalar } from "yaml";
import { type ConfigIssue, keyPath, quote } from "./issues.ts";
import { closest } from "./suggest.ts";

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Maps an offset in the parsed text to a position in the file (which may be a manifest around it). */
export type Locate = (offset: number) => Position | undefined;

export interface Field {
  readonly key: Node;
  /** Null when the key has no value (`key:`), an explicit null, or an alias to nothing. */
  readonly value: Node | null;
  readonly path: string;
}

/** The fields of a mapping, by key, plus the mapping itself (for "is required" positions). */
export interface Fields {
  readonly node: Node;
  readonly path: string;
  readonly byKey: ReadonlyMap<string, Field>;
}

type Kind = "string" | "list" | "mapping";

// go-yaml v2 resolve.go: the YAML 1.1 booleans it accepts in plain scalars.
const yaml11Bools: ReadonlyMap<string, boolean> = new Map([
  ...["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"].map((s) => [s, true] as const),
  ...["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"].map(
    (s) => [s, false] as const,
  ),
]);

function kindOf(node: Node): string {
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === "number") return "a number";
    if (typeof v === "boolean") return "a boolean";
    return "a string";
  }
  return "something else";
}

export class Reader {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  readonly #doc: Document;
  readonly #locate: Locate;
  readonly #fallback: Position | undefined;

  /** `fallback` is used where the text cannot be mapped back to the file (e.g. a folded string). */
  constructor(doc: Document, locate: Locate, fallback?: Position) {
    this.#doc = doc;
    this.#locate = locate;
    this.#fallback = fallback;
  }

  where(node: Node | null | undefined): Position | undefined {
    const offset = node?.range?.[0];
    const p = offset === undefined ? undefined : this.#locate(offset);
    return p ?? this.#fallback;
  }

  #issue(path: string, message: string, node: Node | null | undefined): ConfigIssue {
    const p = this.where(node);
    return p === undefined ? { path, message } : { path, message, line: p.line, column: p.column };
  }

  error(path: string, message: string, node?: Node | null): void {
    this.errors.push(this.#issue(path, message, node));
  }

  warn(path: string, message: string, node?: Node | null): void {
    this.warnings.push(this.#issue(path, message, node));
  }

  /** Follows aliases; null for an absent value or an explicit null scalar. */
  resolve(node: unknown): Node | null {
    let n = node;
    for (let hops = 0; isAlias(n) && hops < 100; hops++) n = n.resolve(this.#doc) ?? null;
    if (n === null || n === undefined) return null;
    if (isScalar(n) && n.value === null) return null;
    return n as Node;
  }

  /**
   * A mapping with a closed set of keys. Unknown keys are errors (MetalLB parses strictly),
   * with a suggestion when one of `known` is close. Undefined (after reporting) if not a mapping.
   */
  object(node: Node | null, path: string, known: readonly string[], where?: Node | null): Fields | undefined {
    if (node === null) return undefined;
    if (!isMap(node)) {
      this.error(path, `must be a mapping, not ${kindOf(node)}`, node ?? where);
      return undefined;
    }
    const byKey = new Map<string, Field>();
    for (const pair of node.items) {
      const keyNode = this.resolve(pair.key);
      if (keyNode === null || !isScalar(keyNode)) {
        this.error(path, "keys must be plain strings", (pair.key as Node | null) ?? node);
        continue;
      }
      const key = String(keyNode.value);
      const p = keyPath(path, key);
      if (!known.includes(key)) {
        const hint = closest(key, known);
        const also = hint === undefined ? "" : ` (did you mean ${JSON.stringify(hint)}?)`;
        this.error(p, `unknown key ${quote(key)}${also}`, keyNode);
        continue;
      }
      byKey.set(key, { key: keyNode, value: this.resolve(pair.value), path: p });
    }
    return { node, path, byKey };
  }

  /** Reports a missing required field; true when it is present (non-null). */
  require(f: Fields, key: string): boolean {
    const field = f.byKey.get(key);
    if (field?.value != null) return true;
    this.error(keyPath(f.path, key), `${key} is required`, field?.key ?? f.node);
    return false;
  }

  #expect(field: Field, kind: Kind): boolean {
    const v = field.value!;
    const ok = kind === "list" ? isSeq(v) : kind === "mapping" ? isMap(v) : isScalar(v);
    if (!ok)
      this.error(field.path, `must be ${kind === "list" ? "a list" : `a ${kind}`}, not ${kindOf(v)}`, v);
    return ok;
  }

  /**
   * A string field. Like go-yaml v2, a plain scalar that YAML reads as a number or boolean is
   * taken as written (`password: 0123` is "0123").
   */
  string(f: Fields, key: string): string | undefined {
    const field = f.byKey.get(key);
    if (field?.value == null || !this.#expect(field, "string")) return undefined;
    return this.scalarText(field.value as Scalar);
  }

  scalarText(s: Scalar): string {
    if (typeof s.value === "string") return s.value;
    return s.type === "PLAIN" && s.source !== undefined ? s.source : String(s.value);
  }

  /** A boolean field; YAML 1.1 spellings (`yes`, `on`, …) count, as in go-yaml v2. */
  bool(f: Fields, key: string): boolean | undefined {
    const field = f.byKey.get(key);
    if (field?.value == null || !this.#expect(field, "string")) return undefined;
    const s = field.value as Scalar;
    if (typeof s.value === "boolean") return s.value;
    const b = s.type === "PLAIN" ? yaml11Bools.get(this.scalarText(s)) : undefined;
    if (b === undefined) this.error(field.path, `must be true or false, not ${quote(this.scalarText(s))}`, s);
    return b;
  }

  /** An integer field within [min, max] (inclusive). */
  int(f: Fields, key: string, min: number, max: number, hint = ""): number | undefined {
    const field = f.byKey.get(key);
    if (field?.value == null || !this.#expect(field, "string")) return undefined;
    const s = field.value as Scalar;
    const text = this.scalarText(s);
    const n = s.type === "PLAIN" ? goInt(text) : undefined;
    if (n === undefined) {
      const what = s.type === "PLAIN" ? quote(text) : `the quoted string ${quote(text)}`;
      this.error(field.path, `must be a whole number, not ${what}`, s);
      return undefined;
    }
    if (n < BigInt(min) || n > BigInt(max)) {
      this.error(field.path, `${text} is out of range: must be ${min}-${max}${hint}`, s);
      return undefined;
    }
    return Number(n);
  }

  /** A list field's items (aliases resolved; null items kept as null). */
  list(f: Fields, key: string): { field: Field; items: (Node | null)[] } | undefined {
    const field = f.byKey.get(key);
    if (field?.value == null || !this.#expect(field, "list")) return undefined;
    const seq = field.value;
    if (!isSeq(seq)) return undefined;
    return { field, items: seq.items.map((i) => this.resolve(i)) };
  }

  /** A mapping of string keys to string values (labels, community aliases). */
  stringMap(
    f: Fields,
    key: string,
  ): { key: string; keyNode: Node; value: string; valueNode: Node; path: string }[] {
    const field = f.byKey.get(key);
    if (field?.value == null || !this.#expect(field, "mapping")) return [];
    const out = [];
    const map = field.value;
    if (!isMap(map)) return [];
    for (const pair of map.items) {
      const k = this.resolve(pair.key);
      if (k === null || !isScalar(k)) {
        this.error(field.path, "keys must be plain strings", (pair.key as Node | null) ?? map);
        continue;
      }
      const name = this.scalarText(k);
      const path = keyPath(field.path, name);
      const v = this.resolve(pair.value);
      if (v !== null && !isScalar(v)) {
        this.error(path, `must be a string, not ${kindOf(v)}`, v);
        continue;
      }
      out.push({
        key: name,
        keyNode: k,
        value: v === null ? "" : this.scalarText(v),
        valueNode: v ?? k,
        path,
      });
    }
    return out;
  }

  /** Text of a list item that must be a string scalar; undefined (reported) otherwise. */
  itemString(node: Node | null, path: string, where: Node): string | undefined {
    if (node === null) {
      this.error(path, "must not be empty", where);
      return undefined;
    }
    if (!isScalar(node)) {
      this.error(path, `must be a string, not ${kindOf(node)}`, node);
      return undefined;
    }
    return this.scalarText(node);
  }
}

/** Go `strconv.ParseInt(s, 0, 64)` after go-yaml v2 strips `_`: 0x hex, 0b binary, 0o or leading-0 octal. */
export function goInt(text: string): bigint | undefined {
  const s = text.replaceAll("_", "");
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (m === null) return undefined;
  const sign = m[1] === "-" ? -1n : 1n;
  let digits = m[2]!;
  if (/^0[0-7]+$/.test(digits)) digits = `0o${digits.slice(1)}`;
  return sign * BigInt(digits.toLowerCase().replace(/^0o/, "0o"));
}
