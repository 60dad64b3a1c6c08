/**
 * signalbox BGP wire layer: codec, error model and (later) the RFC 4271 FSM. Pure: no I/O,
 * no clock, no logger (DESIGN.md). Supported, in whole or in the part a route originator needs:
 *
 *   RFC 4271  BGP-4 (messages §4, error handling §6)
 *   RFC 1997  Communities                     RFC 4360  Extended Communities
 *   RFC 2385  (TCP MD5: in src/platform)      RFC 4456  ORIGINATOR_ID / CLUSTER_LIST (parsed)
 *   RFC 2545  IPv6 next hops                  RFC 4486  Cease subcodes
 *   RFC 2918  Route Refresh                   RFC 4724  Graceful Restart capability, End-of-RIB
 *   RFC 4760  Multiprotocol Extensions        RFC 5492  Capabilities Advertisement
 *   RFC 6286  BGP Identifier                  RFC 6608  FSM error subcodes
 *   RFC 6793  4-octet AS numbers              RFC 7313  Enhanced Route Refresh
 *   RFC 7606  Revised UPDATE error handling   RFC 7607  AS 0 processing
 *   RFC 7911  ADD-PATH capability (parsed)    RFC 8092  Large Communities
 *   RFC 8203/9003  Shutdown Communication     RFC 8654  Extended Message
 *   RFC 8950  IPv4 NLRI with IPv6 next hop    RFC 9072  Extended Optional Parameters Length
 *   draft-ietf-idr-link-bandwidth  link bandwidth extended community
 */

export * from "../reader.ts";
export * from "./aspath.ts";
export * from "./attributes.ts";
export * from "./capabilities.ts";
export * from "./communities.ts";
export * from "./constants.ts";
export * from "./context.ts";
export * from "./errors.ts";
export * from "./framer.ts";
export * from "./fsm.ts";
export * from "./header.ts";
export * from "./message.ts";
export * from "./negotiate.ts";
export * from "./notification.ts";
export * from "./notification-codes.ts";
export * from "./open.ts";
export * from "./pack.ts";
export * from "./route-refresh.ts";
export * from "./update.ts";
export * from "./writer.ts";
