/**
 * Problems with the manifest folder, as values: which file, what, and where in it. A problem
 * never stops the source: the file it names keeps its last good content (or none).
 */
export interface SourceProblem {
  /** File name inside the folder; "" for the folder itself. */
  readonly file: string;
  readonly message: string;
  /** 1-based, when the problem has a position in the file. */
  readonly line?: number;
  readonly column?: number;
}

/** `services.yaml (line 3, col 7): …`. */
export function formatProblem(p: SourceProblem): string {
  let where = p.file === "" ? "folder" : p.file;
  if (p.line !== undefined)
    where += p.column !== undefined ? ` (line ${p.line}, col ${p.column})` : ` (line ${p.line})`;
  return `${where}: ${p.message}`;
}

export function problemKey(p: SourceProblem): string {
  return `${p.file}\u0000${p.line ?? ""}\u0000${p.column ?? ""}\u0000${p.message}`;
}
