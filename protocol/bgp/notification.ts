import type { Reader } from "../reader.ts";
import { HEADER_LENGTH, MessageType } from "./constants.ts";
import { writeHeader } from "./header.ts";
import { CeaseSubcode, ErrorCode } from "./notification-codes.ts";

/** NOTIFICATION (RFC 4271 §4.5). */
export interface NotificationMessage {
  readonly type: "NOTIFICATION";
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

/** RFC 9003 §2: at most 255 octets of UTF-8. */
export const MAX_SHUTDOWN_COMMUNICATION = 255;

export function decodeNotification(body: Reader): NotificationMessage {
  const code = body.u8()!;
  const subcode = body.u8()!;
  return { type: "NOTIFICATION", code, subcode, data: body.rest().slice() };
}

export function encodeNotification(m: Pick<NotificationMessage, "code" | "subcode" | "data">): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + 2 + m.data.length);
  writeHeader(out, out.length, MessageType.NOTIFICATION);
  out[HEADER_LENGTH] = m.code;
  out[HEADER_LENGTH + 1] = m.subcode;
  out.set(m.data, HEADER_LENGTH + 2);
  return out;
}

function carriesShutdownCommunication(code: number, subcode: number): boolean {
  // RFC 9003 §2: Administrative Shutdown and Administrative Reset.
  return (
    code === ErrorCode.Cease &&
    (subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset)
  );
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The shutdown communication of a received Cease (RFC 9003 §2), or undefined when there is
 * none or it is malformed (a length past the data, or invalid UTF-8: RFC 9003 §3 says to log
 * such data, not to fail). Control characters are replaced so the text is safe to log.
 */
export function shutdownCommunicationOf(m: NotificationMessage): string | undefined {
  if (!carriesShutdownCommunication(m.code, m.subcode) || m.data.length === 0) return undefined;
  const len = m.data[0]!;
  if (len === 0 || 1 + len > m.data.length) return undefined;
  try {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point.
    return utf8.decode(m.data.subarray(1, 1 + len)).replace(/[\u0000-\u001f\u007f]/g, "\ufffd");
  } catch {
    return undefined;
  }
}

/** The Data field for a Cease with a shutdown communication, cut to 255 octets on a character boundary. */
export function shutdownCommunicationData(text: string): Uint8Array {
  const encoder = new TextEncoder();
  let bytes = encoder.encode(text);
  if (bytes.length > MAX_SHUTDOWN_COMMUNICATION) {
    let cut = MAX_SHUTDOWN_COMMUNICATION;
    // Back up over UTF-8 continuation octets (10xxxxxx) so no character is split.
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
    bytes = bytes.subarray(0, cut);
  }
  const data = new Uint8Array(1 + bytes.length);
  data[0] = bytes.length;
  data.set(bytes, 1);
  return data;
}

/** A Cease NOTIFICATION, with an RFC 9003 shutdown communication when `text` is given. */
export function cease(subcode: number, text?: string): NotificationMessage {
  const data =
    text !== undefined && carriesShutdownCommunication(ErrorCode.Cease, subcode)
      ? shutdownCommunicationData(text)
      : new Uint8Array(0);
  return { type: "NOTIFICATION", code: ErrorCode.Cease, subcode, data };
}
