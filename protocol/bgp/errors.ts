import { describeNotification } from "./notification-codes.ts";

/**
 * Everything that must become a NOTIFICATION is one error type (DESIGN.md "Errors"):
 * code, subcode and data exactly as RFC 4271 §6 says to send them, plus a reason for logs.
 */
export interface BgpError {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  /** Human text for logs and status; never sent on the wire. */
  readonly reason: string;
}

export function bgpError(code: number, subcode: number, reason: string, data: Uint8Array = EMPTY): BgpError {
  return { code, subcode, data, reason: `${describeNotification(code, subcode)}: ${reason}` };
}

export const EMPTY = new Uint8Array(0);

/**
 * RFC 7606 §2 error-handling approaches, weakest first. A message's handling is the
 * strongest of its problems' (RFC 7606 §3 (j)). "AFI/SAFI disable" is implemented as
 * session-reset, which RFC 7606 §2 allows.
 */
export const ErrorHandling = ["attribute-discard", "treat-as-withdraw", "session-reset"] as const;
export type ErrorHandling = (typeof ErrorHandling)[number];

export function strongest(a: ErrorHandling, b: ErrorHandling): ErrorHandling {
  return ErrorHandling.indexOf(a) >= ErrorHandling.indexOf(b) ? a : b;
}

/** One problem found in an UPDATE: how RFC 4271 §6.3 classifies it and what RFC 7606 does about it. */
export interface UpdateProblem {
  readonly error: BgpError;
  readonly action: ErrorHandling;
  /** The path attribute concerned, when there is one (the discarded one, for attribute-discard). */
  readonly typeCode?: number;
}

export function u16Bytes(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 0xff);
}
