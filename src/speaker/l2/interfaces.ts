/**
 * Which interfaces the responder uses, and on which of them each address is answered. Pure.
 *
 * An interface is usable when it is up (administratively, and not operationally down), has
 * an Ethernet MAC, is not NOARP, is not enslaved to a bond or bridge (the master answers),
 * and is not one of the virtual devices container networking creates (the MetalLB rules,
 * checklist §9.1, plus its `announcedInterfacesToExclude` defaults made built-in).
 *
 * An address is answered on the interfaces its pool lists (`interfaces`, config README);
 * without such a list, on the usable interfaces whose subnet contains the address (the
 * segment the address belongs to, found from the host's own addressing, not guessed); when
 * no subnet contains it, on every usable interface, as MetalLB does.
 */
import type { IpAddress } from "../../../protocol/ip/index.ts";
import { Prefix } from "../../../protocol/ip/index.ts";
import { MacAddress } from "../../../protocol/l2/index.ts";
import { IfFlag, type LinkInfo } from "../../platform/links.ts";

export type SkipReason = "down" | "noarp" | "enslaved" | "loopback" | "virtual" | "notEthernet";

/** Name prefixes of virtual devices that never face the hosts we answer. */
export const VIRTUAL_PREFIXES = [
  "lo",
  "docker",
  "cali",
  "kube-ipvs",
  "kube-bridge",
  "veth",
  "cni",
  "flannel",
  "cilium",
  "lxc",
  "vxlan",
  "tunl",
  "genev",
  "weave",
  "virbr",
  "nodelocaldns",
] as const;

export interface Port {
  readonly name: string;
  readonly index: number;
  readonly mac: MacAddress;
  readonly prefixes: readonly Prefix[];
}

export interface LinkChoice {
  readonly usable: readonly Port[];
  readonly skipped: readonly { readonly name: string; readonly reason: SkipReason }[];
}

export function skipReason(l: LinkInfo): SkipReason | undefined {
  if ((l.flags & IfFlag.Loopback) !== 0) return "loopback";
  if (VIRTUAL_PREFIXES.some((p) => l.name.startsWith(p))) return "virtual";
  if (l.mac === undefined || MacAddress.parse(l.mac)?.isZero !== false) return "notEthernet";
  if ((l.flags & IfFlag.Up) === 0 || l.operstate === "down" || l.operstate === "lowerlayerdown")
    return "down";
  if ((l.flags & IfFlag.NoArp) !== 0) return "noarp";
  if (l.enslaved) return "enslaved";
  return undefined;
}

export function chooseLinks(links: readonly LinkInfo[]): LinkChoice {
  const usable: Port[] = [];
  const skipped: { name: string; reason: SkipReason }[] = [];
  for (const l of links) {
    const reason = skipReason(l);
    if (reason !== undefined) {
      skipped.push({ name: l.name, reason });
      continue;
    }
    const prefixes: Prefix[] = [];
    for (const c of l.cidrs) {
      const p = Prefix.parse(c, true);
      if (p !== undefined) prefixes.push(p);
    }
    usable.push({ name: l.name, index: l.index, mac: MacAddress.parse(l.mac!)!, prefixes });
  }
  return { usable, skipped };
}

/** The interfaces `ip` is answered on (names, in interface order). */
export function interfacesFor(
  ip: IpAddress,
  poolInterfaces: readonly string[] | undefined,
  usable: readonly Port[],
): string[] {
  if (poolInterfaces !== undefined && poolInterfaces.length > 0)
    return usable.filter((p) => poolInterfaces.includes(p.name)).map((p) => p.name);
  const onSubnet = usable.filter((p) => p.prefixes.some((x) => x.length > 0 && x.contains(ip)));
  return (onSubnet.length > 0 ? onSubnet : usable).map((p) => p.name);
}
