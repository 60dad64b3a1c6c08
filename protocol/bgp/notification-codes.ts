/**
 * NOTIFICATION error codes and subcodes: one table, from which names and lookups derive.
 * RFC 4271 §4.5 and §6, RFC 4486 (Cease), RFC 6608 (FSM), RFC 7313 (ROUTE-REFRESH),
 * RFC 8538 (Hard Reset), RFC 9384 (BFD Down), RFC 9687 (Send Hold Timer).
 */
export const NotificationCodes = {
  1: {
    name: "Message Header Error",
    rfc: "RFC 4271 §6.1",
    subcodes: { 1: "Connection Not Synchronized", 2: "Bad Message Length", 3: "Bad Message Type" },
  },
  2: {
    name: "OPEN Message Error",
    rfc: "RFC 4271 §6.2",
    subcodes: {
      0: "Unspecific",
      1: "Unsupported Version Number",
      2: "Bad Peer AS",
      3: "Bad BGP Identifier",
      4: "Unsupported Optional Parameter",
      5: "Authentication Failure (deprecated)",
      6: "Unacceptable Hold Time",
      7: "Unsupported Capability",
      11: "Role Mismatch",
    },
  },
  3: {
    name: "UPDATE Message Error",
    rfc: "RFC 4271 §6.3",
    subcodes: {
      0: "Unspecific",
      1: "Malformed Attribute List",
      2: "Unrecognized Well-known Attribute",
      3: "Missing Well-known Attribute",
      4: "Attribute Flags Error",
      5: "Attribute Length Error",
      6: "Invalid ORIGIN Attribute",
      7: "AS Routing Loop (deprecated)",
      8: "Invalid NEXT_HOP Attribute",
      9: "Optional Attribute Error",
      10: "Invalid Network Field",
      11: "Malformed AS_PATH",
    },
  },
  4: { name: "Hold Timer Expired", rfc: "RFC 4271 §6.5", subcodes: { 0: "Unspecific" } },
  5: {
    name: "Finite State Machine Error",
    rfc: "RFC 6608 §3",
    subcodes: {
      0: "Unspecified Error",
      1: "Receive Unexpected Message in OpenSent State",
      2: "Receive Unexpected Message in OpenConfirm State",
      3: "Receive Unexpected Message in Established State",
    },
  },
  6: {
    name: "Cease",
    rfc: "RFC 4486 §4",
    subcodes: {
      0: "Unspecific",
      1: "Maximum Number of Prefixes Reached",
      2: "Administrative Shutdown",
      3: "Peer De-configured",
      4: "Administrative Reset",
      5: "Connection Rejected",
      6: "Other Configuration Change",
      7: "Connection Collision Resolution",
      8: "Out of Resources",
      9: "Hard Reset",
      10: "BFD Down",
    },
  },
  7: {
    name: "ROUTE-REFRESH Message Error",
    rfc: "RFC 7313 §5",
    subcodes: { 0: "Reserved", 1: "Invalid Message Length" },
  },
  8: { name: "Send Hold Timer Expired", rfc: "RFC 9687 §3", subcodes: { 0: "Unspecific" } },
} as const;

export type ErrorCode = keyof typeof NotificationCodes;

/** Named constants for the codes used in code: `Err.UpdateMessage`, etc. */
export const ErrorCode = {
  MessageHeader: 1,
  OpenMessage: 2,
  UpdateMessage: 3,
  HoldTimerExpired: 4,
  FiniteStateMachine: 5,
  Cease: 6,
  RouteRefreshMessage: 7,
  SendHoldTimerExpired: 8,
} as const;

export const HeaderSubcode = {
  ConnectionNotSynchronized: 1,
  BadMessageLength: 2,
  BadMessageType: 3,
} as const;
export const OpenSubcode = {
  Unspecific: 0,
  UnsupportedVersionNumber: 1,
  BadPeerAs: 2,
  BadBgpIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  UnacceptableHoldTime: 6,
  UnsupportedCapability: 7,
} as const;
export const UpdateSubcode = {
  MalformedAttributeList: 1,
  UnrecognizedWellKnownAttribute: 2,
  MissingWellKnownAttribute: 3,
  AttributeFlagsError: 4,
  AttributeLengthError: 5,
  InvalidOrigin: 6,
  InvalidNextHop: 8,
  OptionalAttributeError: 9,
  InvalidNetworkField: 10,
  MalformedAsPath: 11,
} as const;
export const CeaseSubcode = {
  MaximumNumberOfPrefixesReached: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
  BfdDown: 10,
} as const;
export const FsmSubcode = { Unspecified: 0, OpenSent: 1, OpenConfirm: 2, Established: 3 } as const;

/** "Cease / Administrative Shutdown", or "code 42 / subcode 7" for codes outside the table. */
export function describeNotification(code: number, subcode: number): string {
  const entry = (NotificationCodes as Record<number, { name: string; subcodes: Record<number, string> }>)[
    code
  ];
  if (entry === undefined) return `code ${code} / subcode ${subcode}`;
  return `${entry.name} / ${entry.subcodes[subcode] ?? `subcode ${subcode}`}`;
}
