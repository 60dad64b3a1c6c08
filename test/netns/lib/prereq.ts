import type { TestContext } from "node:test";
import { findExecutable } from "../../../src/platform/executables.ts";

/** Each tool the harness can use: the executables it needs and the Debian package with them. */
export const TOOLS = {
  iproute2: { files: ["ip", "ss", "bridge"], pkg: "iproute2" },
  setpriv: { files: ["setpriv"], pkg: "util-linux" },
  sysctl: { files: ["sysctl"], pkg: "procps" },
  bird: { files: ["bird", "birdc"], pkg: "bird2" },
  frr: { files: ["/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "vtysh"], pkg: "frr" },
  gobgp: { files: ["gobgpd", "gobgp"], pkg: "gobgpd" },
  exabgp: { files: ["exabgp", "python3"], pkg: "exabgp" },
  arping: { files: ["arping"], pkg: "arping" },
  ndisc6: { files: ["ndisc6"], pkg: "ndisc6" },
  ping: { files: ["ping"], pkg: "iputils-ping" },
  tcpdump: { files: ["tcpdump"], pkg: "tcpdump" },
} as const;

export { findExecutable };

export type Tool = keyof typeof TOOLS;

const BASE: Tool[] = ["iproute2", "setpriv", "sysctl"];

/** Why the tests cannot run here (not root, missing executables), or undefined if they can. */
export function missingPrerequisites(
  tools: readonly Tool[],
  lookup: (file: string) => string | undefined = findExecutable,
): string | undefined {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push("network namespace tests need root");
  const pkgs = new Set<string>();
  const files: string[] = [];
  for (const t of [...BASE, ...tools]) {
    for (const f of TOOLS[t].files) {
      if (!lookup(f)) {
        files.push(f);
        pkgs.add(TOOLS[t].pkg);
      }
    }
  }
  if (files.length > 0) {
    problems.push(
      `missing ${files.join(", ")}: install the Debian package(s) ${[...pkgs].join(" ")} (.ci/netns-deps.sh installs them all)`,
    );
  }
  return problems.length ? problems.join("; ") : undefined;
}

export const isCI = (): boolean => /^(1|true|yes)$/i.test(process.env["CI"] ?? "");

/**
 * Call first in a test body. Returns true when everything is there. Otherwise: under CI=true
 * it throws (the test fails, naming the package); elsewhere it marks the test skipped with the
 * same message and returns false, so the caller returns.
 */
export function need(t: TestContext, tools: readonly Tool[]): boolean {
  const why = missingPrerequisites(tools);
  if (why === undefined) return true;
  if (isCI()) throw new Error(`CI=true and a prerequisite is missing: ${why}`);
  t.skip(why);
  return false;
}
