import type { Reader } from "../reader.ts";
import { err, ok, type Result } from "../result.ts";
import { HEADER_LENGTH, MessageType } from "./constants.ts";
import { type BgpError, bgpError } from "./errors.ts";
import { writeHeader } from "./header.ts";
import { ErrorCode } from "./notification-codes.ts";

/** RFC 7313 §3: the Message Subtype that RFC 2918 called Reserved. */
export const RouteRefreshSubtype = { REQUEST: 0, BORR: 1, EORR: 2 } as const;

/** ROUTE-REFRESH (RFC 2918 §3, RFC 7313 §3). */
export interface RouteRefreshMessage {
  readonly type: "ROUTE-REFRESH";
  readonly afi: number;
  readonly subtype: number;
  readonly safi: number;
  /** Anything after the fixed fields (RFC 5291 ORF entries on a request); kept, not interpreted. */
  readonly rest?: Uint8Array;
}

export function decodeRouteRefresh(body: Reader, frame: Uint8Array): Result<RouteRefreshMessage, BgpError> {
  // RFC 7313 §5: a body shorter than its 4 fixed octets, or a BoRR/EoRR body other than 4
  // octets → ROUTE-REFRESH Message Error / Invalid Message Length, the whole message as data.
  const invalidLength = () =>
    err(
      bgpError(
        ErrorCode.RouteRefreshMessage,
        1,
        `${frame.length - 19}-octet ROUTE-REFRESH body`,
        frame.slice(),
      ),
    );
  if (body.remaining < 4) return invalidLength();
  const afi = body.u16()!;
  const subtype = body.u8()!;
  const safi = body.u8()!;
  if (
    (subtype === RouteRefreshSubtype.BORR || subtype === RouteRefreshSubtype.EORR) &&
    body.remaining !== 0
  ) {
    return invalidLength();
  }
  const m: RouteRefreshMessage = { type: "ROUTE-REFRESH", afi, subtype, safi };
  return ok(body.remaining > 0 ? { ...m, rest: body.rest().slice() } : m);
}

export function encodeRouteRefresh(m: RouteRefreshMessage): Uint8Array {
  const rest = m.rest ?? new Uint8Array(0);
  const out = new Uint8Array(HEADER_LENGTH + 4 + rest.length);
  writeHeader(out, out.length, MessageType.ROUTE_REFRESH);
  out[19] = m.afi >>> 8;
  out[20] = m.afi & 0xff;
  out[21] = m.subtype;
  out[22] = m.safi;
  out.set(rest, 23);
  return out;
}
