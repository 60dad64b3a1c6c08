/**
 * Where the repository is, from the sources (src/cli/lab) or from the build (dist/src/cli/lab):
 * the first folder up that holds bin/signalbox.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

function findRoot(from: string): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, "bin", "signalbox"))) return d;
    if (dirname(d) === d) return join(from, "../../..");
  }
}

export const ROOT = findRoot(import.meta.dirname);
export const SIGNALBOX_BIN = join(ROOT, "bin", "signalbox");
export const ADDON = join(ROOT, "native", "build", "netsys.node");
export const BUILD_SCRIPT = join(ROOT, "native", "build.sh");
