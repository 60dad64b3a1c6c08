/**
 * Config problems as data: a field path, a message and, when the input was YAML, where.
 * Errors and warnings share the shape; parsing collects all of them before answering.
 */
export interface ConfigIssue {
  /** Field path in the config YAML, e.g. `address-pools[1].addresses[0]`; "" for the document itself. */
  readonly path: string;
  readonly message: string;
  /** 1-based line in the file that was parsed (the manifest when a ConfigMap was given). */
  readonly line?: number;
  /** 1-based column. */
  readonly column?: number;
}

/** `address-pools[1].addresses[0] (line 14, col 9): 10.0.0.0/33 is not a prefix`. */
export function formatIssue(issue: ConfigIssue): string {
  let where = "";
  if (issue.line !== undefined) {
    where = issue.column !== undefined ? `line ${issue.line}, col ${issue.column}` : `line ${issue.line}`;
  }
  if (issue.path === "") return where === "" ? issue.message : `${where}: ${issue.message}`;
  return where === "" ? `${issue.path}: ${issue.message}` : `${issue.path} (${where}): ${issue.message}`;
}

/** Path of a key below `parent`: `a.b`, or `a["kubernetes.io/zone"]` when the key is not a plain word. */
export function keyPath(parent: string, key: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(key)) return parent === "" ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** Quotes a value from the input for a message, shortened so one bad line cannot flood the output. */
export function quote(value: string): string {
  const max = 80;
  const short = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(short);
}
