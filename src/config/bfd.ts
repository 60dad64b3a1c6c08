/**
 * `bfd-profiles`: MetalLB v0.12.1 `parseBFDProfile`. Unset values are FRR's defaults; the
 * ranges are the ones MetalLB enforces (`bfdIntFromConfig`).
 */

import type { Node } from "yaml";
import { indexPath } from "./issues.ts";
import type { Reader } from "./reader.ts";
import type { BfdProfile } from "./types.ts";

export const bfdProfileKeys = [
  "name",
  "receive-interval",
  "transmit-interval",
  "detect-multiplier",
  "echo-interval",
  "echo-mode",
  "passive-mode",
  "minimum-ttl",
] as const;

/** key → [min, max, default, unit hint] */
const limits = {
  "receive-interval": [10, 60000, 300, " (milliseconds)"],
  "transmit-interval": [10, 60000, 300, " (milliseconds)"],
  "detect-multiplier": [2, 255, 3, ""],
  "echo-interval": [10, 60000, 50, " (milliseconds)"],
  "minimum-ttl": [1, 254, 254, ""],
} as const;

export function readBfdProfiles(
  r: Reader,
  items: readonly (Node | null)[],
  path: string,
  where: Node,
): BfdProfile[] {
  const out: BfdProfile[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const p = indexPath(path, i);
    if (item === null) {
      r.error(p, "must be a mapping, not empty", where);
      return;
    }
    const f = r.object(item, p, bfdProfileKeys);
    if (f === undefined) return;
    const name = r.require(f, "name") ? r.string(f, "name") : undefined;
    const num = (k: keyof typeof limits) => {
      const [min, max, def, hint] = limits[k];
      return r.int(f, k, min, max, hint) ?? def;
    };
    const profile: BfdProfile = {
      name: name ?? "",
      receiveInterval: num("receive-interval"),
      transmitInterval: num("transmit-interval"),
      detectMultiplier: num("detect-multiplier"),
      echoInterval: num("echo-interval"),
      echoMode: r.bool(f, "echo-mode") ?? false,
      passiveMode: r.bool(f, "passive-mode") ?? false,
      minimumTtl: num("minimum-ttl"),
    };
    if (name === undefined) return;
    if (name === "") {
      r.error(`${p}.name`, "must not be empty", f.byKey.get("name")?.value);
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      r.error(
        `${p}.name`,
        `duplicate BFD profile name ${JSON.stringify(name)} (also bfd-profiles[${first}])`,
        f.byKey.get("name")?.value,
      );
      return;
    }
    seen.set(name, i);
    out.push(profile);
  });
  return out;
}
