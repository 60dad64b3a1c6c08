import { Reader } from "../reader.ts";
import { err, ok, type Result } from "../result.ts";
import { HEADER_LENGTH, MessageType } from "./constants.ts";
import type { CodecContext } from "./context.ts";
import { type BgpError, bgpError, u16Bytes } from "./errors.ts";
import { decodeHeader, writeHeader } from "./header.ts";
import { decodeNotification, encodeNotification, type NotificationMessage } from "./notification.ts";
import { ErrorCode, HeaderSubcode } from "./notification-codes.ts";
import { decodeOpen, encodeOpen, type OpenMessage } from "./open.ts";
import { decodeRouteRefresh, encodeRouteRefresh, type RouteRefreshMessage } from "./route-refresh.ts";
import { decodeUpdate, encodeUpdate, type UpdateMessage } from "./update.ts";

/** KEEPALIVE (RFC 4271 §4.4): the header alone. */
export interface KeepaliveMessage {
  readonly type: "KEEPALIVE";
}

export type Message =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

/**
 * Decodes one whole message (header included), as the Framer cuts them. Never throws: a
 * header, OPEN, UPDATE or ROUTE-REFRESH error comes back as the BgpError to send.
 */
export function decodeMessage(frame: Uint8Array, ctx: CodecContext): Result<Message, BgpError> {
  const h = decodeHeader(frame, 0, ctx.extendedMessage);
  if (!h.ok) return h;
  if (h.value.length !== frame.length) {
    // Not exactly one message (a truncated buffer): the Length field is wrong for what arrived.
    return err(
      bgpError(
        ErrorCode.MessageHeader,
        HeaderSubcode.BadMessageLength,
        `length field ${h.value.length} but ${frame.length} octets`,
        u16Bytes(h.value.length),
      ),
    );
  }
  const body = new Reader(frame, HEADER_LENGTH, frame.length);
  switch (h.value.type) {
    case MessageType.OPEN:
      return decodeOpen(body);
    case MessageType.UPDATE:
      return decodeUpdate(body, ctx);
    case MessageType.NOTIFICATION:
      return ok(decodeNotification(body));
    case MessageType.KEEPALIVE:
      return ok({ type: "KEEPALIVE" });
    case MessageType.ROUTE_REFRESH:
      return decodeRouteRefresh(body, frame);
  }
}

export const KEEPALIVE: Uint8Array = (() => {
  const b = new Uint8Array(HEADER_LENGTH);
  writeHeader(b, HEADER_LENGTH, MessageType.KEEPALIVE);
  return b;
})();

export function encodeMessage(m: Message, ctx: CodecContext): Uint8Array {
  switch (m.type) {
    case "OPEN":
      return encodeOpen(m);
    case "UPDATE":
      return encodeUpdate(m, ctx);
    case "NOTIFICATION":
      return encodeNotification(m);
    case "KEEPALIVE":
      return KEEPALIVE.slice();
    case "ROUTE-REFRESH":
      return encodeRouteRefresh(m);
  }
}
