import type { Reader } from "../reader.ts";
import { err, ok, type Result } from "../result.ts";
import { type BgpError, bgpError } from "./errors.ts";
import { ErrorCode, OpenSubcode } from "./notification-codes.ts";
import type { Writer } from "./writer.ts";

/** Capability codes (RFC 5492 §4, IANA registry), with the RFC that defines each. */
export const CapabilityCode = {
  Multiprotocol: 1, // RFC 4760 §8
  RouteRefresh: 2, // RFC 2918 §2
  ExtendedNextHop: 5, // RFC 8950 §3
  ExtendedMessage: 6, // RFC 8654 §3
  GracefulRestart: 64, // RFC 4724 §3
  FourOctetAs: 65, // RFC 6793 §3
  AddPath: 69, // RFC 7911 §4 (parsed, never advertised)
  EnhancedRouteRefresh: 70, // RFC 7313 §3
  RouteRefreshCisco: 128, // pre-standard RFC 2918 code, parsed only
} as const;

export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

export type Capability =
  | { readonly code: 1; readonly afi: number; readonly safi: number }
  | { readonly code: 2 | 6 | 70 | 128 }
  | { readonly code: 5; readonly entries: readonly { afi: number; safi: number; nextHopAfi: number }[] }
  | {
      readonly code: 64;
      /** Restart Flags, 4 bits: 0x8 = R (restarting), 0x4 = N (RFC 8538 notification). */
      readonly flags: number;
      /** Restart Time in seconds, 12 bits. */
      readonly restartTime: number;
      /** Per family; flags 0x80 = F (forwarding state preserved). */
      readonly families: readonly { afi: number; safi: number; flags: number }[];
    }
  | { readonly code: 65; readonly asn: number }
  | { readonly code: 69; readonly entries: readonly { afi: number; safi: number; sendReceive: number }[] }
  | { readonly code: number; readonly value: Uint8Array; readonly unknown: true };

function malformed(code: number, why: string): BgpError {
  // RFC 5492 does not name a subcode for a malformed capability; like BIRD we send
  // OPEN Message Error / Unspecific (RFC 4271 §6.2).
  return bgpError(ErrorCode.OpenMessage, OpenSubcode.Unspecific, `capability ${code}: ${why}`);
}

/** Decodes one capability's value (`r` spans exactly the value). */
function decodeValue(code: number, r: Reader): Result<Capability, BgpError> {
  const len = r.remaining;
  switch (code) {
    case CapabilityCode.Multiprotocol: {
      // RFC 4760 §8: AFI (2), Reserved (1), SAFI (1).
      if (len !== 4) return err(malformed(code, `length ${len}, expected 4`));
      const afi = r.u16()!;
      r.u8();
      return ok({ code, afi, safi: r.u8()! });
    }
    case CapabilityCode.RouteRefresh:
    case CapabilityCode.ExtendedMessage:
    case CapabilityCode.EnhancedRouteRefresh:
    case CapabilityCode.RouteRefreshCisco:
      if (len !== 0) return err(malformed(code, `length ${len}, expected 0`));
      return ok({ code });
    case CapabilityCode.ExtendedNextHop: {
      // RFC 8950 §3: triples of NLRI AFI (2), NLRI SAFI (2), Nexthop AFI (2).
      if (len === 0 || len % 6 !== 0) return err(malformed(code, `length ${len}, expected a multiple of 6`));
      const entries = [];
      while (r.remaining > 0) entries.push({ afi: r.u16()!, safi: r.u16()!, nextHopAfi: r.u16()! });
      return ok({ code, entries });
    }
    case CapabilityCode.GracefulRestart: {
      // RFC 4724 §3: Restart Flags (4 bits) + Restart Time (12 bits), then AFI, SAFI, Flags per family.
      if (len < 2 || (len - 2) % 4 !== 0) return err(malformed(code, `length ${len}, expected 2 + 4n`));
      const word = r.u16()!;
      const families = [];
      while (r.remaining > 0) families.push({ afi: r.u16()!, safi: r.u8()!, flags: r.u8()! });
      return ok({ code, flags: word >>> 12, restartTime: word & 0x0fff, families });
    }
    case CapabilityCode.FourOctetAs:
      // RFC 6793 §3: the 4-octet AS number.
      if (len !== 4) return err(malformed(code, `length ${len}, expected 4`));
      return ok({ code, asn: r.u32()! });
    case CapabilityCode.AddPath: {
      // RFC 7911 §4: AFI (2), SAFI (1), Send/Receive (1).
      if (len === 0 || len % 4 !== 0) return err(malformed(code, `length ${len}, expected a multiple of 4`));
      const entries = [];
      while (r.remaining > 0) entries.push({ afi: r.u16()!, safi: r.u8()!, sendReceive: r.u8()! });
      return ok({ code, entries });
    }
    default:
      // RFC 5492 §3: unknown capabilities are ignored; kept as bytes for status and re-encoding.
      return ok({ code, value: r.copy(len)!, unknown: true });
  }
}

/** Decodes a Capabilities Optional Parameter's value: a list of (code, length, value). */
export function decodeCapabilities(r: Reader): Result<Capability[], BgpError> {
  const out: Capability[] = [];
  while (r.remaining > 0) {
    const code = r.u8();
    const len = r.u8();
    if (code === undefined || len === undefined) return err(malformed(code ?? 0, "truncated header"));
    const value = r.sub(len);
    if (value === undefined) return err(malformed(code, `length ${len} overruns the parameter`));
    const c = decodeValue(code, value);
    if (!c.ok) return c;
    out.push(c.value);
  }
  return ok(out);
}

export function encodeCapability(w: Writer, c: Capability): void {
  w.u8(c.code);
  const at = w.reserve(1);
  if ("unknown" in c) w.bytes(c.value);
  else if (c.code === 1) w.u16(c.afi).u8(0).u8(c.safi);
  else if (c.code === 5) for (const e of c.entries) w.u16(e.afi).u16(e.safi).u16(e.nextHopAfi);
  else if (c.code === 64) {
    w.u16(((c.flags & 0xf) << 12) | (c.restartTime & 0x0fff));
    for (const f of c.families) w.u16(f.afi).u8(f.safi).u8(f.flags);
  } else if (c.code === 65) w.u32(c.asn);
  else if (c.code === 69) for (const e of c.entries) w.u16(e.afi).u8(e.safi).u8(e.sendReceive);
  w.patchLength(at, 1);
}
