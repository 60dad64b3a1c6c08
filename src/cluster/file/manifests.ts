/**
 * One file's text → the objects it declares (pure). A file is YAML (several documents allowed)
 * or JSON; each document is an object or a `kind: List` of them. Only the kinds a snapshot
 * holds are kept: ConfigMap (with a string `data.config`), Service, Node, EndpointSlice; the
 * rest (Deployments, Secrets, …) are ignored.
 *
 * All or nothing: a syntax error anywhere, or an object of a kind we read without a name,
 * rejects the whole file, so a half-edited file never half applies.
 */
import { LineCounter, parseAllDocuments } from "yaml";
import type { EndpointSliceLike, NodeLike, ServiceLike } from "../types.ts";
import type { SourceProblem } from "./problems.ts";

export type ManifestObject =
  | { readonly kind: "Service"; readonly object: ServiceLike }
  | { readonly kind: "Node"; readonly object: NodeLike }
  | { readonly kind: "EndpointSlice"; readonly object: EndpointSliceLike }
  | {
      readonly kind: "ConfigMap";
      readonly namespace: string;
      readonly name: string;
      /** For `parseConfig`: the document itself, padded so line numbers match the file; or `data.config` for a List item. */
      readonly text: string;
      readonly where: string;
    };

export type FileResult =
  | { readonly ok: true; readonly objects: readonly ManifestObject[] }
  | { readonly ok: false; readonly problems: readonly SourceProblem[] };

/** Manifest file names: `*.yaml`, `*.yml`, `*.json`, not hidden (editor swap and lock files start with a dot). */
export function isManifestName(name: string): boolean {
  return !name.startsWith(".") && /\.(ya?ml|json)$/i.test(name);
}

const readKinds = new Set(["Service", "Node", "EndpointSlice", "ConfigMap"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Parses one manifest file. `file` names it in problems and origins. */
export function readManifestFile(file: string, text: string): FileResult {
  const lines = new LineCounter();
  // YAML 1.2 (JSON is a subset, so .json files go through the same parser and get positions).
  // Messages from the parser can quote source text; only the code and position are kept.
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const problems: SourceProblem[] = [];
  const at = (offset: number | undefined): { line?: number; column?: number } => {
    if (offset === undefined) return {};
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (!Array.isArray(docs)) {
    // An empty stream comes back as a single empty document, never as this; be safe anyway.
    return { ok: true, objects: [] };
  }
  const values: { value: unknown; index: number; start: number; end: number }[] = [];
  docs.forEach((doc, index) => {
    // The first syntax error of a file only: the ones after it are mostly its echoes.
    const e = doc.errors[0];
    if (e !== undefined && problems.length === 0)
      problems.push({
        file,
        message: `YAML syntax error (${e.code.toLowerCase().replaceAll("_", " ")})`,
        ...at(e.pos[0]),
      });
    if (e !== undefined) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch {
      problems.push({
        file,
        message: "YAML document cannot be read (too many aliases?)",
        ...at(doc.range[0]),
      });
      return;
    }
    values.push({ value, index, start: doc.range[0], end: doc.range[2] });
  });
  if (problems.length > 0) return { ok: false, problems };

  const objects: ManifestObject[] = [];
  const many = docs.length > 1;
  for (const { value, index, start, end } of values) {
    if (value === null || value === undefined) continue; // empty document
    const docName = many ? `${file} (document ${index + 1})` : file;
    const pos = at(start);
    if (!isObject(value)) {
      problems.push({ file, message: "a document must be a Kubernetes object (a map)", ...pos });
      continue;
    }
    if (
      value.kind === "List" ||
      (typeof value.kind === "string" && value.kind.endsWith("List") && "items" in value)
    ) {
      if (!Array.isArray(value.items)) {
        problems.push({ file, message: `${docName}: items of a List must be a list`, ...pos });
        continue;
      }
      // A typed list (`ServiceList`, as the API returns it) leaves `kind` out of its items.
      const itemKind = value.kind === "List" ? undefined : value.kind.slice(0, -"List".length);
      value.items.forEach((item, i) => {
        const where = `${docName} items[${i}]`;
        const withKind =
          itemKind !== undefined && isObject(item) && item.kind === undefined
            ? { ...item, kind: itemKind }
            : item;
        const r = readObject(withKind, where, undefined);
        if (typeof r === "string") problems.push({ file, message: r, ...pos });
        else if (r !== undefined) objects.push(r);
      });
      continue;
    }
    // Pad with newlines so positions inside the document are positions in the file.
    const lineStart = text.lastIndexOf("\n", start - 1) + 1;
    const own = "\n".repeat(countNewlines(text, lineStart)) + text.slice(lineStart, end);
    const r = readObject(value, docName, own);
    if (typeof r === "string") problems.push({ file, message: r, ...pos });
    else if (r !== undefined) objects.push(r);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, objects };
}

function countNewlines(text: string, before: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < before; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** An object we keep, undefined for kinds we ignore, or a message for an object we cannot use. */
function readObject(
  v: unknown,
  where: string,
  ownText: string | undefined,
): ManifestObject | string | undefined {
  if (!isObject(v)) return `${where}: not a Kubernetes object`;
  const kind = v.kind;
  if (typeof kind !== "string") return `${where}: no kind`;
  if (!readKinds.has(kind)) return undefined;
  const meta = v.metadata;
  if (!isObject(meta) || typeof meta.name !== "string" || meta.name === "")
    return `${where}: ${kind} without metadata.name`;
  if (meta.namespace !== undefined && meta.namespace !== null && typeof meta.namespace !== "string")
    return `${where}: ${kind} ${meta.name}: metadata.namespace must be a string`;
  switch (kind) {
    case "Service":
      return { kind, object: v as unknown as ServiceLike };
    case "Node":
      return { kind, object: v as unknown as NodeLike };
    case "EndpointSlice":
      return { kind, object: v as unknown as EndpointSliceLike };
    default: {
      // ConfigMap: only one that carries a MetalLB config counts.
      const data = v.data;
      if (!isObject(data) || typeof data.config !== "string") return undefined;
      const namespace =
        typeof meta.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default";
      const label = `${where}: ConfigMap ${namespace}/${meta.name}`;
      return ownText !== undefined
        ? { kind: "ConfigMap", namespace, name: meta.name, text: ownText, where: label }
        : { kind: "ConfigMap", namespace, name: meta.name, text: data.config, where: `${label} data.config` };
    }
  }
}
