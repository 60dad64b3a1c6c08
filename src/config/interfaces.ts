/**
 * `address-pools[].interfaces` (signalbox addition, layer2 pools only): the network
 * interfaces a pool's addresses are answered on. Unset: the interfaces whose subnet holds
 * the address, else every usable one (src/speaker/l2/interfaces.ts). MetalLB's CRD format has
 * the same idea as `L2Advertisement.interfaces`.
 */
import { indexPath, quote } from "./issues.ts";
import type { Fields, Reader } from "./reader.ts";
import type { PoolProtocol } from "./types.ts";

/** Linux interface names: 1-15 octets (IFNAMSIZ 16 with the NUL), no '/', no white space, not "." or "..". */
export function interfaceNameProblem(name: string): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (Buffer.byteLength(name) > 15) return `${quote(name)} is longer than 15 octets (Linux IFNAMSIZ)`;
  if (name === "." || name === "..") return `${quote(name)} is not an interface name`;
  if (/[/\s]/.test(name))
    return `${quote(name)} contains '/' or white space, which Linux interface names cannot`;
  return undefined;
}

export function readInterfaces(r: Reader, f: Fields, protocol: PoolProtocol | undefined): string[] {
  const list = r.list(f, "interfaces");
  if (list === undefined) return [];
  if (protocol === "bgp") {
    r.error(list.field.path, "is only for layer2 pools, and this pool is bgp", list.field.key);
    return [];
  }
  if (list.items.length === 0) {
    r.error(
      list.field.path,
      "must name at least one interface (leave it out to answer on the interfaces whose subnet holds the address)",
      list.field.value,
    );
    return [];
  }
  const out: string[] = [];
  list.items.forEach((item, i) => {
    const p = indexPath(list.field.path, i);
    const name = r.itemString(item, p, list.field.value!);
    if (name === undefined) return;
    const problem = interfaceNameProblem(name);
    if (problem !== undefined) r.error(p, problem, item);
    else if (out.includes(name)) r.error(p, `duplicate interface ${quote(name)}`, item);
    else out.push(name);
  });
  return out;
}
