/**
 * BGP communities in advertisements: `a:b` (RFC 1997, two 16-bit halves), `large:a:b:c`
 * (RFC 8092, three 32-bit parts; MetalLB v0.13+ syntax, accepted here too), or the name of an
 * alias from `bgp-communities`.
 */
export type Community =
  | { readonly kind: "standard"; readonly value: number }
  | { readonly kind: "large"; readonly global: number; readonly local1: number; readonly local2: number };

const decimal = /^\d+$/;

function part(text: string, max: number): number | undefined {
  if (!decimal.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** Parses a literal community; the reason says what is wrong without echoing more than the value. */
export function parseCommunity(text: string): { ok: true; value: Community } | { ok: false; reason: string } {
  const fs = text.split(":");
  if (fs[0] === "large") {
    if (fs.length !== 4) return { ok: false, reason: "a large community is large:a:b:c" };
    const [g, l1, l2] = [part(fs[1]!, 0xffffffff), part(fs[2]!, 0xffffffff), part(fs[3]!, 0xffffffff)];
    if (g === undefined || l1 === undefined || l2 === undefined)
      return { ok: false, reason: "each part of a large community is a number 0-4294967295" };
    return { ok: true, value: { kind: "large", global: g, local1: l1, local2: l2 } };
  }
  if (fs.length !== 2) return { ok: false, reason: "a community is a:b (or large:a:b:c)" };
  const [hi, lo] = [part(fs[0]!, 0xffff), part(fs[1]!, 0xffff)];
  if (hi === undefined || lo === undefined)
    return { ok: false, reason: "each half of a community is a number 0-65535" };
  return { ok: true, value: { kind: "standard", value: ((hi << 16) | lo) >>> 0 } };
}

export function formatCommunity(c: Community): string {
  if (c.kind === "large") return `large:${c.global}:${c.local1}:${c.local2}`;
  return `${c.value >>> 16}:${c.value & 0xffff}`;
}

export function sameCommunity(a: Community, b: Community): boolean {
  return formatCommunity(a) === formatCommunity(b);
}
