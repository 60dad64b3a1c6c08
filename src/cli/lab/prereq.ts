/**
 * What the lab needs on the host: root, iproute2 and util-linux's setpriv, FRR's zebra, bgpd
 * and vtysh, curl, and our native addon (layer 2). Missing Debian packages are installed when
 * we are root on Debian/Ubuntu (saying so first); otherwise the exact command is printed.
 * The system FRR service is never started or enabled: the lab runs its own zebra and bgpd.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { findExecutable } from "../../platform/executables.ts";
import { ADDON, BUILD_SCRIPT } from "./paths.ts";

const NEEDS: readonly { file: string; pkg: string }[] = [
  { file: "ip", pkg: "iproute2" },
  { file: "setpriv", pkg: "util-linux" },
  { file: "sysctl", pkg: "procps" },
  { file: "/usr/lib/frr/zebra", pkg: "frr" },
  { file: "/usr/lib/frr/bgpd", pkg: "frr" },
  { file: "vtysh", pkg: "frr" },
  { file: "curl", pkg: "curl" },
];

export function missingPackages(): string[] {
  return [...new Set(NEEDS.filter((n) => findExecutable(n.file) === undefined).map((n) => n.pkg))];
}

export type PrereqResult = { ok: true; notes: string[]; summary: string } | { ok: false; message: string };

function frrVersion(): string {
  const r = spawnSync("/usr/lib/frr/bgpd", ["--version"], { encoding: "utf8", timeout: 5000 });
  return /version (\S+)/.exec(r.stdout ?? "")?.[1] ?? "?";
}

/** Checks, installs what it may (announcing it), and says what is still missing. */
export function checkPrerequisites(say: (line: string) => void): PrereqResult {
  const notes: string[] = [];
  if (process.getuid?.() !== 0)
    return {
      ok: false,
      message:
        "the lab creates network namespaces and needs root: run `sudo npm start` (or `sudo bin/signalbox lab`)",
    };
  let missing = missingPackages();
  if (missing.length > 0) {
    const cmd = `apt-get update && apt-get install -y ${missing.join(" ")}`;
    const debian = existsSync("/etc/debian_version") && findExecutable("apt-get") !== undefined;
    if (!debian)
      return {
        ok: false,
        message: `missing ${missing.join(", ")}: install them (on Debian/Ubuntu: ${cmd})`,
      };
    say(`installing ${missing.join(" ")}: ${cmd}`);
    say("(the lab runs its own zebra and bgpd inside its namespaces and never uses the frr service;");
    say(" Debian's package may start that service in the host namespace: `systemctl disable --now frr`)");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    for (const argv of [
      ["apt-get", "update"],
      ["apt-get", "install", "-y", ...missing],
    ]) {
      const r = spawnSync(argv[0]!, argv.slice(1), { stdio: "inherit", env, timeout: 600_000 });
      if (r.status !== 0)
        return { ok: false, message: `\`${argv.join(" ")}\` failed; run it by hand: ${cmd}` };
    }
    missing = missingPackages();
    if (missing.length > 0)
      return { ok: false, message: `still missing after install: ${missing.join(", ")}` };
    notes.push(`installed ${cmd.split("install -y ")[1]}`);
  }
  if (!existsSync(ADDON)) {
    if (findExecutable("gcc") === undefined)
      return {
        ok: false,
        message: "the native addon (layer 2) is not built and gcc is missing: run `npm run build:native`",
      };
    say("building the native addon (layer 2 needs it): bash native/build.sh");
    const r = spawnSync("bash", [BUILD_SCRIPT], { stdio: "inherit", timeout: 300_000 });
    if (r.status !== 0) return { ok: false, message: "`npm run build:native` failed" };
    notes.push("built the native addon");
  }
  return {
    ok: true,
    notes,
    summary: `root; iproute2; FRR ${frrVersion()} (/usr/lib/frr: zebra, bgpd; vtysh); curl; native addon; Node ${process.version}`,
  };
}
