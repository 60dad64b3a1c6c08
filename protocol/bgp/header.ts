import { err, ok, type Result } from "../result.ts";
import {
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  type MessageTypeCode,
  MIN_LENGTH,
} from "./constants.ts";
import { type BgpError, bgpError, u16Bytes } from "./errors.ts";
import { ErrorCode, HeaderSubcode } from "./notification-codes.ts";

export interface Header {
  readonly length: number;
  readonly type: MessageTypeCode;
}

/**
 * Checks a message header (RFC 4271 §4.1, §6.1) at `offset`; needs 19 bytes there.
 * `extendedMessage`: RFC 8654 was negotiated, so UPDATE, NOTIFICATION and ROUTE-REFRESH
 * may reach 65535 octets; OPEN and KEEPALIVE stay at 4096 (RFC 8654 §4).
 */
export function decodeHeader(
  b: Uint8Array,
  offset: number,
  extendedMessage: boolean,
): Result<Header, BgpError> {
  for (let i = 0; i < 16; i++) {
    if (b[offset + i] !== 0xff) {
      return err(
        bgpError(ErrorCode.MessageHeader, HeaderSubcode.ConnectionNotSynchronized, "marker is not all ones"),
      );
    }
  }
  const length = (b[offset + 16]! << 8) | b[offset + 17]!;
  const type = b[offset + 18]!;
  if (type < MessageType.OPEN || type > MessageType.ROUTE_REFRESH) {
    // RFC 4271 §6.1: data is the Type field.
    return err(
      bgpError(
        ErrorCode.MessageHeader,
        HeaderSubcode.BadMessageType,
        `unknown type ${type}`,
        Uint8Array.of(type),
      ),
    );
  }
  const t = type as MessageTypeCode;
  const max =
    extendedMessage && t !== MessageType.OPEN && t !== MessageType.KEEPALIVE
      ? MAX_EXTENDED_MESSAGE_LENGTH
      : MAX_MESSAGE_LENGTH;
  const tooShort = t === MessageType.KEEPALIVE ? length !== HEADER_LENGTH : length < MIN_LENGTH[t];
  if (length < HEADER_LENGTH || length > max || tooShort) {
    // RFC 4271 §6.1: data is the erroneous Length field.
    return err(
      bgpError(
        ErrorCode.MessageHeader,
        HeaderSubcode.BadMessageLength,
        `length ${length} for type ${type}`,
        u16Bytes(length),
      ),
    );
  }
  return ok({ length, type: t });
}

export function writeHeader(out: Uint8Array, length: number, type: MessageTypeCode): void {
  out.fill(0xff, 0, 16);
  out[16] = length >>> 8;
  out[17] = length & 0xff;
  out[18] = type;
}
