/**
 * Where a program is: `file` itself when it is a path, else the first executable of that
 * name on $PATH or in the system bin folders ($PATH of `sudo` often lacks /usr/sbin).
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export function findExecutable(file: string): string | undefined {
  const dirs = file.includes("/")
    ? [""]
    : [...(process.env["PATH"] ?? "").split(delimiter), "/usr/sbin", "/sbin", "/usr/bin", "/bin"];
  for (const d of dirs) {
    const p = d ? join(d, file) : file;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}
