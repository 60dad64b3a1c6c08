/**
 * The host's network interfaces as the layer-2 responder needs them: index, MAC, flags,
 * operational state, whether another device is its master (bond or bridge member), and
 * its addresses. Read from /sys/class/net (flags, operstate, master) and
 * os.networkInterfaces() (addresses), in the network namespace of this process.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";

/** Flags from linux/if.h. */
export const IfFlag = { Up: 0x1, Broadcast: 0x2, Loopback: 0x8, NoArp: 0x80 } as const;

export interface LinkInfo {
  readonly name: string;
  readonly index: number;
  /** `aa:bb:cc:dd:ee:ff`, or undefined for links without an Ethernet address. */
  readonly mac: string | undefined;
  /** IFF_* bits. */
  readonly flags: number;
  /** /sys/class/net/<if>/operstate: up, down, unknown, dormant, lowerlayerdown, … */
  readonly operstate: string;
  /** Enslaved to a bond or bridge (/sys/class/net/<if>/master exists). */
  readonly enslaved: boolean;
  /** Addresses with prefix length, `10.0.0.5/24`, `fe80::1/64`. */
  readonly cidrs: readonly string[];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Every interface of this network namespace; ones that vanish while being read are left out. */
export function systemLinks(root = "/sys/class/net"): LinkInfo[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const addrs = networkInterfaces();
  const out: LinkInfo[] = [];
  for (const name of names) {
    const dir = `${root}/${name}`;
    const index = Number(read(`${dir}/ifindex`));
    const flags = Number.parseInt(read(`${dir}/flags`) ?? "", 16);
    if (!Number.isInteger(index) || !Number.isInteger(flags)) continue;
    const type = read(`${dir}/type`);
    const mac = read(`${dir}/address`);
    out.push({
      name,
      index,
      // ARPHRD_ETHER = 1: only Ethernet links carry our frames.
      mac: type === "1" && mac !== undefined && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) ? mac : undefined,
      flags,
      operstate: read(`${dir}/operstate`) ?? "unknown",
      enslaved: existsSync(`${dir}/master`),
      cidrs: (addrs[name] ?? []).map((a) => a.cidr).filter((c): c is string => typeof c === "string"),
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** A sysctl value from /proc/sys (`net/ipv4/conf/all/arp_ignore`), or undefined if unreadable. */
export function readSysctl(name: string): string | undefined {
  return read(`/proc/sys/${name}`);
}
