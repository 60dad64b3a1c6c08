/** Message types (RFC 4271 §4.1, RFC 2918 §3). */
export const MessageType = {
  OPEN: 1,
  UPDATE: 2,
  NOTIFICATION: 3,
  KEEPALIVE: 4,
  ROUTE_REFRESH: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

export const HEADER_LENGTH = 19;
/** RFC 4271 §4.1: the largest message without RFC 8654 extended messages. */
export const MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654 §4: the largest UPDATE, NOTIFICATION or ROUTE-REFRESH once negotiated. */
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;

/**
 * Smallest legal length per type (RFC 4271 §4.2-4.5). A short ROUTE-REFRESH is left to its
 * decoder: RFC 7313 §5 gives it an error code of its own.
 */
export const MIN_LENGTH: Record<MessageTypeCode, number> = {
  1: 29,
  2: 23,
  3: 21,
  4: 19,
  5: 19,
};

/** Address Family Identifiers (IANA) and SAFIs used here (RFC 4760 §2). */
export const Afi = { IPV4: 1, IPV6: 2 } as const;
export const Safi = { UNICAST: 1 } as const;

/** RFC 6793 §9: AS_TRANS stands in for a 4-octet AS towards 2-octet speakers. */
export const AS_TRANS = 23456;

export const BGP_VERSION = 4;
