// Generator for test/vectors/bgp/errors/*.json: BGP error and edge-case vectors built byte by byte
// from the RFC text. This is an independent oracle: it must not import anything from protocol/ or
// src/. Every expected value below was decided from the RFC sections cited in the vector's `rfc`
// field; where the RFCs leave a choice, the vector's `source` names the decision (D1..Dn), and
// test/vectors/bgp/errors/DECISIONS.md records it.
//
// Run: node_modules/.bin/node test/vectors/tools/make-error-vectors.ts
// Output is deterministic: no clock, no randomness, stable key order.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

type Bytes = number[];
type Outcome = "session-reset" | "treat-as-withdraw" | "attribute-discard";

interface Context {
  fourOctetAs?: boolean;
  extendedMessage?: boolean;
  peerType?: "ebgp" | "ibgp";
  localAs?: number;
  peerAs?: number;
  localBgpId?: string;
  localHoldTime?: number;
}

interface ErrorSpec {
  code: number;
  subcode: number;
  data?: string;
}

interface Vector {
  id: string;
  rfc: string;
  source: string;
  context?: Context;
  hex: string;
  expect?: Record<string, unknown>;
  error?: ErrorSpec;
  outcome?: Outcome;
  discarded?: number[];
}

interface VectorFile {
  description: string;
  source: string;
  vectors: Vector[];
}

// ---------------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------------

function u8(n: number): Bytes {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new Error(`u8 out of range: ${n}`);
  return [n];
}

function u16(n: number): Bytes {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new Error(`u16 out of range: ${n}`);
  return [(n >>> 8) & 0xff, n & 0xff];
}

function u32(n: number): Bytes {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`u32 out of range: ${n}`);
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function cat(...parts: Bytes[]): Bytes {
  const out: Bytes = [];
  for (const p of parts) for (const b of p) out.push(b);
  return out;
}

function fill(n: number, value = 0): Bytes {
  return new Array<number>(n).fill(value);
}

function hex(b: Bytes): string {
  return b.map((x) => x.toString(16).padStart(2, "0")).join("");
}

function ascii(s: string): Bytes {
  return Array.from(new TextEncoder().encode(s));
}

function ip4(s: string): Bytes {
  const parts = s.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`bad IPv4 address ${s}`);
  }
  return parts;
}

function ip6(s: string): Bytes {
  const halves = s.split("::");
  if (halves.length > 2) throw new Error(`bad IPv6 address ${s}`);
  const groups = (h: string | undefined): number[] =>
    h === undefined || h === "" ? [] : h.split(":").map((g) => Number.parseInt(g, 16));
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const zeros = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const all = [...head, ...fill(zeros), ...tail];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) {
    throw new Error(`bad IPv6 address ${s}`);
  }
  return all.flatMap(u16);
}

function pfx4(p: string): Bytes {
  const [addr, len] = p.split("/");
  const bits = Number(len);
  if (addr === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32)
    throw new Error(`bad prefix ${p}`);
  return [bits, ...ip4(addr).slice(0, Math.ceil(bits / 8))];
}

function pfx6(p: string): Bytes {
  const [addr, len] = p.split("/");
  const bits = Number(len);
  if (addr === undefined || !Number.isInteger(bits) || bits < 0 || bits > 128)
    throw new Error(`bad prefix ${p}`);
  return [bits, ...ip6(addr).slice(0, Math.ceil(bits / 8))];
}

// ---------------------------------------------------------------------------------------------
// Message builders (RFC 4271 §4)
// ---------------------------------------------------------------------------------------------

const MARKER: Bytes = fill(16, 0xff);
const T_OPEN = 1;
const T_UPDATE = 2;
const T_NOTIFICATION = 3;
const T_KEEPALIVE = 4;
const T_ROUTE_REFRESH = 5;

/** A whole message; `length` overrides the header Length field (the body is written as given). */
function message(type: number, body: Bytes, o: { marker?: Bytes; length?: number } = {}): Bytes {
  return cat(o.marker ?? MARKER, u16(o.length ?? 19 + body.length), u8(type), body);
}

function keepalive(): Bytes {
  return message(T_KEEPALIVE, []);
}

function notification(code: number, subcode: number, data: Bytes = []): Bytes {
  return message(T_NOTIFICATION, cat(u8(code), u8(subcode), data));
}

function routeRefresh(afi: number, subtype: number, safi: number, extra: Bytes = []): Bytes {
  return message(T_ROUTE_REFRESH, cat(u16(afi), u8(subtype), u8(safi), extra));
}

interface OpenSpec {
  version?: number;
  myAs?: number;
  hold?: number;
  id?: string;
  params?: Bytes;
  /** overrides the Opt Parm Len octet */
  optLen?: number;
  /** octets appended after the optional parameters */
  trailer?: Bytes;
}

function openBody(o: OpenSpec): Bytes {
  const params = o.params ?? [];
  return cat(
    u8(o.version ?? 4),
    u16(o.myAs ?? 65001),
    u16(o.hold ?? 90),
    ip4(o.id ?? "192.0.2.2"),
    u8(o.optLen ?? params.length),
    params,
    o.trailer ?? [],
  );
}

function open(o: OpenSpec = {}): Bytes {
  return message(T_OPEN, openBody(o));
}

/** RFC 9072 §2 extended encoding: Non-Ext OP Len, Non-Ext OP Type 255, 2-octet Extended Opt. Parm. Length. */
function openExt(o: OpenSpec & { nonExtLen?: number; extLen?: number }): Bytes {
  const params = o.params ?? [];
  return message(
    T_OPEN,
    cat(
      u8(o.version ?? 4),
      u16(o.myAs ?? 65001),
      u16(o.hold ?? 90),
      ip4(o.id ?? "192.0.2.2"),
      u8(o.nonExtLen ?? 255),
      u8(255),
      u16(o.extLen ?? params.length),
      params,
      o.trailer ?? [],
    ),
  );
}

/** Capability TLV (RFC 5492 §4). */
function cap(code: number, value: Bytes = []): Bytes {
  return cat(u8(code), u8(value.length), value);
}
const capMp = (afi: number, safi: number): Bytes => cap(1, cat(u16(afi), u8(0), u8(safi)));
const capAs4 = (as: number): Bytes => cap(65, u32(as));
const capRouteRefresh = (): Bytes => cap(2);
const capExtendedMessage = (): Bytes => cap(6);

/** Optional parameter (RFC 4271 §4.2): type, 1-octet length, value. */
function param(type: number, value: Bytes): Bytes {
  return cat(u8(type), u8(value.length), value);
}
/** Optional parameter in the RFC 9072 extended form: type, 2-octet length, value. */
function paramExt(type: number, value: Bytes): Bytes {
  return cat(u8(type), u16(value.length), value);
}
const capParam = (...caps: Bytes[]): Bytes => param(2, cat(...caps));

// ---------------------------------------------------------------------------------------------
// Path attributes (RFC 4271 §4.3, §5)
// ---------------------------------------------------------------------------------------------

const F_WELL_KNOWN = 0x40; // O=0 T=1
const F_OPTIONAL = 0x80; // O=1 T=0
const F_OPT_TRANS = 0xc0; // O=1 T=1
const F_EXT = 0x10;

/** An attribute with a truthful length field (2 octets when the Extended Length bit is set). */
function attr(flags: number, type: number, value: Bytes): Bytes {
  if (flags & F_EXT) return cat(u8(flags), u8(type), u16(value.length), value);
  if (value.length > 255)
    throw new Error(`attribute ${type}: ${value.length} octets need the Extended Length bit`);
  return cat(u8(flags), u8(type), u8(value.length), value);
}

/** An attribute whose length field says `len` whatever the value holds. */
function attrLen(flags: number, type: number, len: number, value: Bytes): Bytes {
  return cat(u8(flags), u8(type), flags & F_EXT ? u16(len) : u8(len), value);
}

const asSeq4 = (...asns: number[]): Bytes => cat(u8(2), u8(asns.length), ...asns.map(u32));
const asSeq2 = (...asns: number[]): Bytes => cat(u8(2), u8(asns.length), ...asns.map(u16));

const ORIGIN = (v = 0): Bytes => attr(F_WELL_KNOWN, 1, [v]);
const AS_PATH = (...asns: number[]): Bytes => attr(F_WELL_KNOWN, 2, asns.length ? asSeq4(...asns) : []);
const AS_PATH2 = (...asns: number[]): Bytes => attr(F_WELL_KNOWN, 2, asns.length ? asSeq2(...asns) : []);
const NEXT_HOP = (a = "192.0.2.1"): Bytes => attr(F_WELL_KNOWN, 3, ip4(a));
const MED = (v: number): Bytes => attr(F_OPTIONAL, 4, u32(v));
const LOCAL_PREF = (v: number): Bytes => attr(F_WELL_KNOWN, 5, u32(v));
const ATOMIC_AGGREGATE = (): Bytes => attr(F_WELL_KNOWN, 6, []);
const AGGREGATOR = (as: number, id: string): Bytes => attr(F_OPT_TRANS, 7, cat(u32(as), ip4(id)));
const AGGREGATOR2 = (as: number, id: string): Bytes => attr(F_OPT_TRANS, 7, cat(u16(as), ip4(id)));
const COMMUNITIES = (...c: number[]): Bytes => attr(F_OPT_TRANS, 8, cat(...c.map(u32)));
const ORIGINATOR_ID = (id: string): Bytes => attr(F_OPTIONAL, 9, ip4(id));
const CLUSTER_LIST = (...ids: string[]): Bytes => attr(F_OPTIONAL, 10, cat(...ids.map(ip4)));
const MP_REACH_VALUE = (afi: number, safi: number, nh: Bytes, nlri: Bytes): Bytes =>
  cat(u16(afi), u8(safi), u8(nh.length), nh, u8(0), nlri);
const MP_REACH = (afi: number, safi: number, nh: Bytes, nlri: Bytes): Bytes =>
  attr(F_OPTIONAL, 14, MP_REACH_VALUE(afi, safi, nh, nlri));
const MP_UNREACH = (afi: number, safi: number, withdrawn: Bytes): Bytes =>
  attr(F_OPTIONAL, 15, cat(u16(afi), u8(safi), withdrawn));
const EXT_COMMUNITIES = (...ec: Bytes[]): Bytes => attr(F_OPT_TRANS, 16, cat(...ec));
const AS4_PATH = (...asns: number[]): Bytes => attr(F_OPT_TRANS, 17, asSeq4(...asns));
const AS4_AGGREGATOR = (as: number, id: string): Bytes => attr(F_OPT_TRANS, 18, cat(u32(as), ip4(id)));
const LARGE_COMMUNITIES = (...lc: [number, number, number][]): Bytes =>
  attr(F_OPT_TRANS, 32, cat(...lc.map(([g, a, b]) => cat(u32(g), u32(a), u32(b)))));

const ROUTE_TARGET_65000_1: Bytes = [0x00, 0x02, ...u16(65000), ...u32(1)];

/** UPDATE body (RFC 4271 §4.3); `wrl`/`tal` override the two length fields. */
function updateBody(
  attrs: Bytes,
  nlri: Bytes,
  withdrawn: Bytes,
  o: { wrl?: number; tal?: number } = {},
): Bytes {
  return cat(u16(o.wrl ?? withdrawn.length), withdrawn, u16(o.tal ?? attrs.length), attrs, nlri);
}

function update(
  attrs: Bytes,
  nlri: Bytes = [],
  withdrawn: Bytes = [],
  o: { wrl?: number; tal?: number; length?: number } = {},
): Bytes {
  return message(
    T_UPDATE,
    updateBody(attrs, nlri, withdrawn, o),
    o.length === undefined ? {} : { length: o.length },
  );
}

const NLRI = pfx4("198.51.100.0/24");
const NLRI_TEXT = "198.51.100.0/24";
const BASE = cat(ORIGIN(0), AS_PATH(65001), NEXT_HOP());
const BASE2 = cat(ORIGIN(0), AS_PATH2(65001), NEXT_HOP());
const NH6 = ip6("2001:db8::1");
const NLRI6 = pfx6("2001:db8:1::/48");

/** Withdraw-only UPDATE of exactly `total` octets, filled with distinct /32 and /24 prefixes. */
function sizedWithdrawUpdate(total: number): Bytes {
  const room = total - 23;
  let n24 = 0;
  while ((room - 4 * n24) % 5 !== 0) n24++;
  const n32 = (room - 4 * n24) / 5;
  const withdrawn: Bytes = [];
  for (let i = 0; i < n32; i++) withdrawn.push(32, 10, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff);
  for (let i = 0; i < n24; i++) withdrawn.push(24, 172, 16, i);
  const m = update([], [], withdrawn);
  if (m.length !== total) throw new Error(`sized update: ${m.length} != ${total}`);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Vector helpers
// ---------------------------------------------------------------------------------------------

const GEN = "hand-built from the RFC text by test/vectors/tools/make-error-vectors.ts";

function err(code: number, subcode: number, data: Bytes | null = []): ErrorSpec {
  return data === null ? { code, subcode } : { code, subcode, data: hex(data) };
}

interface VectorOpts {
  context?: Context;
  expect?: Record<string, unknown>;
  error?: ErrorSpec;
  outcome?: Outcome;
  discarded?: number[];
}

function vec(id: string, rfc: string, source: string, bytes: Bytes, o: VectorOpts = {}): Vector {
  // Stable key order for deterministic, readable JSON: id, rfc, source, context, hex, expect, error, ...
  const out: Vector = {
    id,
    rfc,
    source: `${GEN}; ${source}`,
    ...(o.context ? { context: o.context } : {}),
    hex: hex(bytes),
  };
  if (o.expect) out.expect = o.expect;
  if (o.error) out.error = o.error;
  if (o.outcome) out.outcome = o.outcome;
  if (o.discarded) out.discarded = o.discarded;
  return out;
}

const RESET: Outcome = "session-reset";
const TAW: Outcome = "treat-as-withdraw";
const DISCARD: Outcome = "attribute-discard";

// =============================================================================================
// header.json — RFC 4271 §6.1 Message Header errors, RFC 8654 length limits
// =============================================================================================

function headerVectors(): Vector[] {
  const v: Vector[] = [];
  const R = "RFC 4271 §4.1, §6.1";
  const badMarker = (i: number, b: number): Bytes => MARKER.map((x, j) => (j === i ? b : x));

  v.push(
    vec(
      "hdr-marker-last-octet-fe",
      R,
      "KEEPALIVE whose 16th marker octet is 0xfe; the marker must be all ones → Connection Not Synchronized, no data (D8)",
      message(T_KEEPALIVE, [], { marker: badMarker(15, 0xfe) }),
      { error: err(1, 1), outcome: RESET },
    ),
    vec(
      "hdr-marker-all-zero",
      R,
      "KEEPALIVE with an all-zero marker → Connection Not Synchronized",
      message(T_KEEPALIVE, [], { marker: fill(16, 0) }),
      { error: err(1, 1), outcome: RESET },
    ),
    vec(
      "hdr-marker-first-octet-7f-on-update",
      R,
      "23-octet UPDATE (otherwise an End-of-RIB) whose first marker octet is 0x7f → Connection Not Synchronized",
      message(T_UPDATE, updateBody([], [], []), { marker: badMarker(0, 0x7f) }),
      { error: err(1, 1), outcome: RESET },
    ),
  );

  // Bad Message Length: data = the erroneous Length field (RFC 4271 §6.1).
  const badLen = (
    id: string,
    rfc: string,
    source: string,
    bytes: Bytes,
    len: number,
    context?: Context,
  ): Vector =>
    vec(id, rfc, source, bytes, {
      ...(context ? { context } : {}),
      error: err(1, 2, u16(len)),
      outcome: RESET,
    });

  v.push(
    badLen(
      "hdr-length-0",
      R,
      "Length field 0 (< 19); the 19 header octets carry type KEEPALIVE",
      message(T_KEEPALIVE, [], { length: 0 }),
      0,
    ),
    badLen(
      "hdr-length-18",
      R,
      "Length field 18 (< 19); the 19 header octets carry type KEEPALIVE",
      message(T_KEEPALIVE, [], { length: 18 }),
      18,
    ),
    badLen(
      "hdr-open-length-28",
      "RFC 4271 §4.2, §6.1",
      "OPEN of 28 octets, one short of the 29-octet minimum (the Opt Parm Len octet is missing)",
      message(T_OPEN, openBody({}).slice(0, 9)),
      28,
    ),
    badLen(
      "hdr-open-length-19",
      "RFC 4271 §4.2, §6.1",
      "OPEN with an empty body (19 octets)",
      message(T_OPEN, []),
      19,
    ),
    badLen(
      "hdr-update-length-22",
      "RFC 4271 §4.3, §6.1",
      "UPDATE of 22 octets, one short of the 23-octet minimum (Total Path Attribute Length truncated)",
      message(T_UPDATE, [0, 0, 0]),
      22,
    ),
    badLen(
      "hdr-update-length-19",
      "RFC 4271 §4.3, §6.1",
      "UPDATE with an empty body (19 octets)",
      message(T_UPDATE, []),
      19,
    ),
    badLen(
      "hdr-keepalive-length-20",
      "RFC 4271 §4.4, §6.1",
      "KEEPALIVE carrying one extra octet: a KEEPALIVE must be exactly 19 octets",
      message(T_KEEPALIVE, [0]),
      20,
    ),
    badLen(
      "hdr-keepalive-length-4096",
      "RFC 4271 §4.4, §6.1",
      "KEEPALIVE of 4096 octets (within the general maximum but ≠ 19)",
      message(T_KEEPALIVE, fill(4096 - 19)),
      4096,
    ),
    badLen(
      "hdr-notification-length-20",
      "RFC 4271 §4.5, §6.1",
      "NOTIFICATION of 20 octets: Error Code present, Error Subcode missing (minimum is 21)",
      message(T_NOTIFICATION, [6]),
      20,
    ),
    badLen(
      "hdr-notification-length-19",
      "RFC 4271 §4.5, §6.1",
      "NOTIFICATION with an empty body (19 octets)",
      message(T_NOTIFICATION, []),
      19,
    ),
    badLen(
      "hdr-update-length-4097-without-extended-message",
      "RFC 4271 §6.1; RFC 8654 §4, §5",
      "well-formed withdraw-only UPDATE of 4097 octets; RFC 8654 not negotiated so the maximum is 4096 (the same bytes are valid in valid-edge.json with extendedMessage)",
      sizedWithdrawUpdate(4097),
      4097,
    ),
    badLen(
      "hdr-notification-length-4097-without-extended-message",
      "RFC 4271 §6.1; RFC 8654 §4, §5",
      "NOTIFICATION 3/1 with 4076 data octets (4097 total) while RFC 8654 is not negotiated",
      notification(3, 1, fill(4097 - 21, 0xaa)),
      4097,
    ),
  );

  // RFC 8654: OPEN and KEEPALIVE never exceed 4096, even when Extended Messages are negotiated.
  const bigCaps: Bytes[] = [];
  let capRoom = 4097 - 32 - 3; // header 19 + fixed OPEN 13 (RFC 9072 form) + param header 3
  while (capRoom > 0) {
    const take = Math.min(capRoom - 2, 253);
    bigCaps.push(cap(0x99, fill(take, 0x5a)));
    capRoom -= take + 2;
  }
  const bigOpen = openExt({ params: paramExt(2, cat(...bigCaps)) });
  if (bigOpen.length !== 4097) throw new Error(`big open is ${bigOpen.length}`);
  v.push(
    badLen(
      "hdr-open-length-4097-with-extended-message",
      "RFC 4271 §6.1; RFC 8654 §4",
      "OPEN of 4097 octets (RFC 9072 extended parameters holding unknown capabilities 0x99) while RFC 8654 is negotiated: the extension never applies to OPEN",
      bigOpen,
      4097,
      { extendedMessage: true },
    ),
    badLen(
      "hdr-keepalive-length-4097-with-extended-message",
      "RFC 4271 §6.1; RFC 8654 §4",
      "KEEPALIVE of 4097 octets while RFC 8654 is negotiated: KEEPALIVE stays 19 octets",
      message(T_KEEPALIVE, fill(4097 - 19)),
      4097,
      { extendedMessage: true },
    ),
  );

  // Bad Message Type: data = the type octet.
  for (const t of [0, 9, 255]) {
    v.push(
      vec(
        `hdr-type-${t}`,
        R,
        `19-octet message with type ${t}, which is not 1..5 → Bad Message Type, data = the type octet`,
        message(t, []),
        { error: err(1, 3, [t]), outcome: RESET },
      ),
    );
  }
  return v;
}

// =============================================================================================
// open.json — RFC 4271 §6.2 OPEN errors, RFC 5492, RFC 6286, RFC 6793, RFC 7607, RFC 9072
// =============================================================================================

function openVectors(): Vector[] {
  const v: Vector[] = [];
  const R = "RFC 4271 §4.2, §6.2";
  const stdCaps = capParam(capMp(1, 1), capMp(2, 1), capRouteRefresh(), capAs4(65001));
  const cfg: Context = { localAs: 65000, peerAs: 65001 };
  const openExpect = (myAs: number, holdTime: number, bgpId: string, capabilities: number[]) => ({
    type: "OPEN",
    version: 4,
    myAs,
    holdTime,
    bgpId,
    capabilities,
  });

  // ----- valid -----
  v.push(
    vec(
      "open-valid-basic",
      "RFC 4271 §4.2; RFC 5492 §4; RFC 4760 §8; RFC 2918 §2; RFC 6793 §3",
      "eBGP OPEN with MP ipv4/unicast, MP ipv6/unicast, route refresh and 4-octet AS in one Capabilities parameter",
      open({ params: stdCaps }),
      { context: cfg, expect: openExpect(65001, 90, "192.0.2.2", [1, 1, 2, 65]) },
    ),
    vec(
      "open-valid-no-optional-parameters",
      "RFC 4271 §4.2",
      "minimal 29-octet OPEN with Opt Parm Len 0 (valid: optional parameters are optional)",
      open({}),
      { context: cfg, expect: openExpect(65001, 90, "192.0.2.2", []) },
    ),
    vec(
      "open-valid-hold-time-0",
      "RFC 4271 §4.2, §6.2",
      "Hold Time 0 is acceptable (no keepalives, no hold timer)",
      open({ hold: 0, params: stdCaps }),
      { context: cfg, expect: openExpect(65001, 0, "192.0.2.2", [1, 1, 2, 65]) },
    ),
    vec(
      "open-valid-hold-time-3",
      "RFC 4271 §4.2, §6.2",
      "Hold Time 3 is the smallest non-zero acceptable value",
      open({ hold: 3, params: stdCaps }),
      { context: cfg, expect: openExpect(65001, 3, "192.0.2.2", [1, 1, 2, 65]) },
    ),
    vec(
      "open-valid-as-trans-with-four-octet-capability",
      "RFC 6793 §4.1, §4.2.1; RFC 4271 §6.2",
      "My AS = AS_TRANS 23456 and the 4-octet AS capability carries 4200000001, the configured peer AS: the capability value is the peer AS",
      open({ myAs: 23456, params: capParam(capMp(1, 1), capAs4(4200000001)) }),
      {
        context: { localAs: 65000, peerAs: 4200000001 },
        expect: openExpect(23456, 90, "192.0.2.2", [1, 65]),
      },
    ),
    vec(
      "open-valid-ebgp-same-bgp-identifier",
      "RFC 6286 §2.2",
      "eBGP peer whose BGP Identifier equals ours (10.0.0.1): only iBGP peers must differ (D19)",
      open({ id: "10.0.0.1", params: stdCaps }),
      {
        context: { ...cfg, localBgpId: "10.0.0.1" },
        expect: openExpect(65001, 90, "10.0.0.1", [1, 1, 2, 65]),
      },
    ),
    vec(
      "open-valid-bgp-identifier-all-ones",
      "RFC 6286 §2.1, §2.2",
      "BGP Identifier 255.255.255.255: RFC 6286 makes the identifier any non-zero 32-bit value, replacing RFC 4271's 'valid unicast host address' rule (D19)",
      open({ id: "255.255.255.255", params: stdCaps }),
      { context: cfg, expect: openExpect(65001, 90, "255.255.255.255", [1, 1, 2, 65]) },
    ),
    vec(
      "open-valid-unknown-capability",
      "RFC 5492 §4",
      "unknown capability 0x99 (3 value octets) between known ones: it must be ignored, not rejected; the codec keeps it for byte-exact re-encoding (D18)",
      open({ params: capParam(capMp(1, 1), cap(0x99, [1, 2, 3]), capAs4(65001)) }),
      { context: cfg, expect: openExpect(65001, 90, "192.0.2.2", [1, 153, 65]) },
    ),
    vec(
      "open-valid-capabilities-in-separate-parameters",
      "RFC 5492 §4",
      "each capability in its own Capabilities optional parameter (FRR 'Cap-series' shape); same set as one parameter; re-encoding keeps the grouping (D18)",
      open({ params: cat(capParam(capMp(1, 1)), capParam(capMp(2, 1)), capParam(capAs4(65001))) }),
      { context: cfg, expect: openExpect(65001, 90, "192.0.2.2", [1, 1, 65]) },
    ),
    vec(
      "open-valid-extended-message-capability",
      "RFC 8654 §3",
      "Extended Message capability (code 6, length 0) advertised",
      open({ params: capParam(capMp(1, 1), capExtendedMessage(), capAs4(65001)) }),
      { context: cfg, expect: openExpect(65001, 90, "192.0.2.2", [1, 6, 65]) },
    ),
    vec(
      "open-valid-rfc9072-extended-short",
      "RFC 9072 §2",
      "RFC 9072 extended encoding (Non-Ext OP Len 255, Non-Ext OP Type 255, 2-octet lengths) carrying only MP + AS4; a receiver MUST accept it even when the parameters fit in 255 octets; the codec remembers the form to re-encode byte for byte (D18)",
      openExt({ params: paramExt(2, cat(capMp(1, 1), capAs4(65001))) }),
      { context: cfg, expect: openExpect(65001, 90, "192.0.2.2", [1, 65]) },
    ),
  );
  const longCaps = cat(capMp(1, 1), capMp(2, 1), cap(0x99, fill(250, 0x11)), capAs4(65001));
  v.push(
    vec(
      "open-valid-rfc9072-extended-over-255",
      "RFC 9072 §2",
      "RFC 9072 extended encoding whose Capabilities parameter is 268 octets (MP, MP, unknown capability 0x99 with 250 octets, AS4), so the extended form is mandatory",
      openExt({ params: paramExt(2, longCaps) }),
      { context: cfg, expect: openExpect(65001, 90, "192.0.2.2", [1, 1, 153, 65]) },
    ),
  );

  // ----- 2/1 Unsupported Version Number -----
  v.push(
    vec(
      "open-version-3",
      R,
      "version 3 < 4: data = smallest locally supported version, 2 octets (D20)",
      open({ version: 3, params: stdCaps }),
      { context: cfg, error: err(2, 1, u16(4)), outcome: RESET },
    ),
    vec(
      "open-version-5",
      R,
      "version 5 > 4: data = largest locally supported version below 5, i.e. 4 (D20)",
      open({ version: 5, params: stdCaps }),
      { context: cfg, error: err(2, 1, u16(4)), outcome: RESET },
    ),
  );

  // ----- 2/2 Bad Peer AS -----
  v.push(
    vec(
      "open-bad-peer-as",
      R,
      "configured peer AS 65001, OPEN says 65002 (and the AS4 capability agrees with 65002) → Bad Peer AS, no data (D8)",
      open({ myAs: 65002, params: capParam(capMp(1, 1), capAs4(65002)) }),
      { context: cfg, error: err(2, 2), outcome: RESET },
    ),
    vec(
      "open-bad-peer-as-four-octet-capability",
      "RFC 4271 §6.2; RFC 6793 §4.1",
      "My AS = AS_TRANS but the 4-octet capability says 4200000002 while 4200000001 is configured: the capability value is the one compared",
      open({ myAs: 23456, params: capParam(capMp(1, 1), capAs4(4200000002)) }),
      { context: { localAs: 65000, peerAs: 4200000001 }, error: err(2, 2), outcome: RESET },
    ),
    vec(
      "open-peer-as-zero",
      "RFC 7607 §2; RFC 4271 §6.2",
      "My AS = 0 with no configured peer AS in context: AS 0 is always a Bad Peer AS",
      open({ myAs: 0, params: capParam(capMp(1, 1)) }),
      { error: err(2, 2), outcome: RESET },
    ),
    vec(
      "open-peer-as-zero-in-four-octet-capability",
      "RFC 7607 §2; RFC 6793 §4.1",
      "My AS = AS_TRANS and the 4-octet AS capability carries 0: the peer AS is 0 → Bad Peer AS",
      open({ myAs: 23456, params: capParam(capMp(1, 1), capAs4(0)) }),
      { error: err(2, 2), outcome: RESET },
    ),
  );

  // ----- 2/3 Bad BGP Identifier -----
  v.push(
    vec(
      "open-bgp-identifier-zero",
      "RFC 4271 §6.2; RFC 6286 §2.2",
      "BGP Identifier 0.0.0.0 → Bad BGP Identifier, no data",
      open({ id: "0.0.0.0", params: stdCaps }),
      { context: cfg, error: err(2, 3), outcome: RESET },
    ),
    vec(
      "open-bgp-identifier-ibgp-same-as-local",
      "RFC 6286 §2.2",
      "iBGP peer (AS 65000 = local AS) presenting our own BGP Identifier 10.0.0.1 → Bad BGP Identifier",
      open({ myAs: 65000, id: "10.0.0.1", params: capParam(capMp(1, 1), capAs4(65000)) }),
      {
        context: { localAs: 65000, peerAs: 65000, localBgpId: "10.0.0.1", peerType: "ibgp" },
        error: err(2, 3),
        outcome: RESET,
      },
    ),
  );

  // ----- 2/4 Unsupported Optional Parameter -----
  v.push(
    vec(
      "open-unsupported-optional-parameter-type-1",
      R,
      "optional parameter type 1 (the deprecated Authentication Information) is not recognised → Unsupported Optional Parameter, no data (D8)",
      open({ params: cat(param(1, [0, 0]), stdCaps) }),
      { context: cfg, error: err(2, 4), outcome: RESET },
    ),
    vec(
      "open-unsupported-optional-parameter-type-99",
      R,
      "a valid Capabilities parameter followed by an unknown parameter type 99 → Unsupported Optional Parameter",
      open({ params: cat(stdCaps, param(99, [1])) }),
      { context: cfg, error: err(2, 4), outcome: RESET },
    ),
    vec(
      "open-optional-parameter-type-255-not-first",
      "RFC 9072 §3; RFC 4271 §6.2",
      "classic encoding whose second parameter has type 255: outside the indicator position 255 is an unrecognised parameter",
      open({ params: cat(stdCaps, param(255, [0])) }),
      { context: cfg, error: err(2, 4), outcome: RESET },
    ),
  );

  // ----- 2/0 malformed optional parameters and capabilities (D15) -----
  v.push(
    vec(
      "open-capability-overruns-parameter",
      "RFC 4271 §6.2; RFC 5492 §4",
      "Capabilities parameter of 6 octets whose capability claims 8 value octets: a recognised parameter that is malformed → 2/0 Unspecific (D15)",
      open({ params: param(2, [65, 8, ...u32(65001)]) }),
      { context: cfg, error: err(2, 0), outcome: RESET },
    ),
    vec(
      "open-capability-header-truncated",
      "RFC 4271 §6.2; RFC 5492 §4",
      "Capabilities parameter of 1 octet: a capability code with no length octet → 2/0 (D15)",
      open({ params: param(2, [1]) }),
      { context: cfg, error: err(2, 0), outcome: RESET },
    ),
    vec(
      "open-four-octet-as-capability-length-2",
      "RFC 4271 §6.2; RFC 6793 §3",
      "4-octet AS capability with 2 value octets instead of 4 → 2/0 (D15)",
      open({ params: capParam(capMp(1, 1), cap(65, u16(65001))) }),
      { context: cfg, error: err(2, 0), outcome: RESET },
    ),
    vec(
      "open-mp-capability-length-3",
      "RFC 4271 §6.2; RFC 4760 §8",
      "multiprotocol capability with 3 value octets instead of 4 → 2/0 (D15)",
      open({ params: capParam(cap(1, [0, 1, 0]), capAs4(65001)) }),
      { context: cfg, error: err(2, 0), outcome: RESET },
    ),
    vec(
      "open-parameter-overruns-opt-parm-len",
      "RFC 4271 §4.2, §6.2",
      "Opt Parm Len 8 but the first parameter claims 10 value octets → 2/0 (D15)",
      open({ params: cat([2, 10], capMp(1, 1)) }),
      { context: cfg, error: err(2, 0), outcome: RESET },
    ),
    vec(
      "open-opt-parm-len-exceeds-message",
      "RFC 4271 §4.2, §6.2",
      "Opt Parm Len 20 but only 8 parameter octets follow before the message ends → 2/0 (D15)",
      open({ params: capParam(capMp(1, 1)), optLen: 20 }),
      { context: cfg, error: err(2, 0), outcome: RESET },
    ),
    vec(
      "open-octets-after-optional-parameters",
      "RFC 4271 §4.2, §6.2",
      "Opt Parm Len 0 but the message carries 2 more octets → 2/0 (D15)",
      open({ trailer: [0, 0] }),
      { context: cfg, error: err(2, 0), outcome: RESET },
    ),
    vec(
      "open-rfc9072-extended-length-exceeds-message",
      "RFC 9072 §2; RFC 4271 §6.2",
      "RFC 9072 form whose Extended Opt. Parm. Length says 100 while 15 octets follow → 2/0 (D15)",
      openExt({ params: paramExt(2, cat(capMp(1, 1), capAs4(65001))), extLen: 100 }),
      { context: cfg, error: err(2, 0), outcome: RESET },
    ),
    vec(
      "open-rfc9072-parameter-overruns-extended-length",
      "RFC 9072 §2; RFC 4271 §6.2",
      "RFC 9072 form: the parameter's 2-octet length says 300 while the Extended Opt. Parm. Length (and the message) hold 15 octets → 2/0 (D15)",
      openExt({ params: cat([2], u16(300), capMp(1, 1), capAs4(65001)) }),
      { context: cfg, error: err(2, 0), outcome: RESET },
    ),
    vec(
      "open-rfc9072-extended-length-truncated",
      "RFC 9072 §2; RFC 4271 §6.2",
      "Non-Ext OP Len 255 and Non-Ext OP Type 255, then the message ends before the 2-octet Extended Opt. Parm. Length → 2/0 (D15)",
      message(T_OPEN, cat(openBody({}).slice(0, 9), [255, 255])),
      { context: cfg, error: err(2, 0), outcome: RESET },
    ),
  );

  // ----- 2/6 Unacceptable Hold Time -----
  for (const hold of [1, 2]) {
    v.push(
      vec(
        `open-hold-time-${hold}`,
        R,
        `Hold Time ${hold}: an implementation MUST reject 1 and 2 → Unacceptable Hold Time, no data`,
        open({ hold, params: stdCaps }),
        { context: cfg, error: err(2, 6), outcome: RESET },
      ),
    );
  }
  return v;
}

// =============================================================================================
// update.json — RFC 4271 §6.3 classification + RFC 7606 outcome
// =============================================================================================

function updateVectors(): Vector[] {
  const v: Vector[] = [];
  const ibgp: Context = { peerType: "ibgp" };
  const old: Context = { fourOctetAs: false };

  // Convenience: an attribute-level error vector. `bad` is the erroneous attribute; data = `bad`.
  const attrErr = (
    id: string,
    rfc: string,
    source: string,
    msg: Bytes,
    code: number,
    sub: number,
    bad: Bytes | null,
    outcome: Outcome,
    extra: { context?: Context; discarded?: number[] } = {},
  ): Vector =>
    vec(id, rfc, source, msg, {
      ...(extra.context ? { context: extra.context } : {}),
      error: err(code, sub, bad ?? []),
      outcome,
      ...(extra.discarded ? { discarded: extra.discarded } : {}),
    });

  // ----- RFC 7606 §3(b): length fields overrun the message → 3/1 session reset -----
  v.push(
    vec(
      "upd-withdrawn-length-overruns-message",
      "RFC 4271 §6.3; RFC 7606 §3(b)",
      "Withdrawn Routes Length 255 in a 27-octet UPDATE: WRL + TPAL + 23 > Length → Malformed Attribute List, session reset, no data (D8)",
      update([], [], pfx4(NLRI_TEXT), { wrl: 255 }),
      { error: err(3, 1), outcome: RESET },
    ),
    vec(
      "upd-path-attribute-length-overruns-message",
      "RFC 4271 §6.3; RFC 7606 §3(b)",
      "Total Path Attribute Length one larger than the attributes present (and no NLRI): WRL + TPAL + 23 > Length → 3/1 session reset",
      update(BASE, [], [], { tal: BASE.length + 1 }),
      { error: err(3, 1), outcome: RESET },
    ),
    vec(
      "upd-path-attribute-length-overruns-into-nothing",
      "RFC 4271 §6.3; RFC 7606 §3(b)",
      "Total Path Attribute Length 0x0400 in a short UPDATE that carries ORIGIN + AS_PATH + NEXT_HOP + one NLRI → 3/1 session reset",
      update(BASE, NLRI, [], { tal: 0x400 }),
      { error: err(3, 1), outcome: RESET },
    ),
    vec(
      "upd-withdrawn-routes-leave-no-room-for-path-attribute-length",
      "RFC 4271 §6.3; RFC 7606 §3(b)",
      "23-octet UPDATE with Withdrawn Routes Length 2: the Total Path Attribute Length field itself lies beyond the message → 3/1 session reset",
      message(T_UPDATE, cat(u16(2), [8, 10])),
      { error: err(3, 1), outcome: RESET },
    ),
  );

  // ----- RFC 7606 §3(g): duplicates -----
  const mpReach6 = MP_REACH(2, 1, NH6, NLRI6);
  const mpReach6b = MP_REACH(2, 1, ip6("2001:db8::2"), pfx6("2001:db8:2::/48"));
  v.push(
    vec(
      "upd-duplicate-mp-reach",
      "RFC 7606 §3(g); RFC 4760 §3",
      "two MP_REACH_NLRI attributes (IPv6 unicast) → Malformed Attribute List, session reset",
      update(cat(mpReach6, ORIGIN(0), AS_PATH(65001), mpReach6b)),
      { error: err(3, 1), outcome: RESET },
    ),
    vec(
      "upd-duplicate-mp-unreach",
      "RFC 7606 §3(g); RFC 4760 §4",
      "two MP_UNREACH_NLRI attributes (IPv6 unicast) → Malformed Attribute List, session reset",
      update(cat(MP_UNREACH(2, 1, NLRI6), MP_UNREACH(2, 1, pfx6("2001:db8:2::/48")))),
      { error: err(3, 1), outcome: RESET },
    ),
    vec(
      "upd-duplicate-origin",
      "RFC 4271 §6.3; RFC 7606 §3(g)",
      "ORIGIN IGP then ORIGIN EGP: the second occurrence is discarded and the UPDATE processed (D10)",
      update(cat(ORIGIN(0), AS_PATH(65001), NEXT_HOP(), ORIGIN(1)), NLRI),
      { error: err(3, 1), outcome: DISCARD, discarded: [1] },
    ),
    vec(
      "upd-duplicate-next-hop-second-malformed",
      "RFC 4271 §6.3; RFC 7606 §3(g)",
      "a second NEXT_HOP with length 5: later duplicates are discarded without being validated, so its malformation does not escalate (D10)",
      update(cat(BASE, attr(F_WELL_KNOWN, 3, [192, 0, 2, 9, 9])), NLRI),
      { error: err(3, 1), outcome: DISCARD, discarded: [3] },
    ),
    vec(
      "upd-duplicate-communities",
      "RFC 4271 §6.3; RFC 7606 §3(g)",
      "two COMMUNITIES attributes: the second is discarded (D10)",
      update(cat(BASE, COMMUNITIES(0xfde80001), COMMUNITIES(0xfde80002)), NLRI),
      { error: err(3, 1), outcome: DISCARD, discarded: [8] },
    ),
    vec(
      "upd-duplicate-unknown-optional-transitive",
      "RFC 4271 §6.3; RFC 7606 §3(g)",
      "an unrecognised optional transitive attribute (type 99) appearing twice: 'whether recognized or unrecognized', the second is discarded (D10)",
      update(cat(BASE, attr(F_OPT_TRANS, 99, [1]), attr(F_OPT_TRANS, 99, [2])), NLRI),
      { error: err(3, 1), outcome: DISCARD, discarded: [99] },
    ),
  );

  // ----- 3/2 Unrecognized Well-known Attribute (D3) -----
  const unknownWk = attr(F_WELL_KNOWN, 99, [0xab, 0xcd]);
  v.push(
    attrErr(
      "upd-unrecognized-well-known-attribute",
      "RFC 4271 §5, §6.3",
      "attribute type 99 with flags 0x40 (well-known): not recognised → 3/2 with data = the attribute; RFC 7606 gives no lesser approach, session reset (D3)",
      update(cat(BASE, unknownWk), NLRI),
      3,
      2,
      unknownWk,
      RESET,
    ),
  );

  // ----- 3/3 Missing Well-known Attribute, RFC 7606 §3(d) → treat-as-withdraw -----
  const missing = (
    id: string,
    source: string,
    attrs: Bytes,
    type: number,
    nlri: Bytes = NLRI,
    context?: Context,
  ) =>
    vec(id, "RFC 4271 §5, §6.3; RFC 7606 §3(d)", source, update(attrs, nlri), {
      ...(context ? { context } : {}),
      error: err(3, 3, [type]),
      outcome: TAW,
    });
  v.push(
    missing(
      "upd-missing-origin",
      "IPv4 NLRI without ORIGIN → 3/3 data 01, treat-as-withdraw",
      cat(AS_PATH(65001), NEXT_HOP()),
      1,
    ),
    missing(
      "upd-missing-as-path",
      "IPv4 NLRI without AS_PATH → 3/3 data 02, treat-as-withdraw",
      cat(ORIGIN(0), NEXT_HOP()),
      2,
    ),
    missing(
      "upd-missing-next-hop",
      "IPv4 NLRI (classic NLRI field) without NEXT_HOP → 3/3 data 03, treat-as-withdraw",
      cat(ORIGIN(0), AS_PATH(65001)),
      3,
    ),
    missing(
      "upd-missing-local-pref-ibgp",
      "iBGP UPDATE with NLRI but no LOCAL_PREF (RFC 4271 §5.1.5 requires it toward internal peers) → 3/3 data 05, treat-as-withdraw (D11)",
      cat(ORIGIN(0), AS_PATH(), NEXT_HOP()),
      5,
      NLRI,
      ibgp,
    ),
    missing(
      "upd-missing-all-mandatory",
      "IPv4 NLRI with no path attributes at all: several are missing, the error names the lowest type code (D9)",
      [],
      1,
    ),
  );
  v.push(
    vec(
      "upd-mp-reach-missing-origin",
      "RFC 4760 §3; RFC 4271 §6.3; RFC 7606 §3(d)",
      "IPv6 MP_REACH_NLRI with AS_PATH but no ORIGIN → 3/3 data 01, treat-as-withdraw",
      update(cat(mpReach6, AS_PATH(65001))),
      { error: err(3, 3, [1]), outcome: TAW },
    ),
    vec(
      "upd-mp-reach-missing-as-path",
      "RFC 4760 §3; RFC 4271 §6.3; RFC 7606 §3(d)",
      "IPv6 MP_REACH_NLRI with ORIGIN but no AS_PATH → 3/3 data 02, treat-as-withdraw",
      update(cat(mpReach6, ORIGIN(0))),
      { error: err(3, 3, [2]), outcome: TAW },
    ),
  );

  // ----- 3/4 Attribute Flags Error (D4) -----
  const flagsTaw = (id: string, rfc: string, source: string, bad: Bytes, attrs: Bytes, context?: Context) =>
    attrErr(id, rfc, source, update(attrs, NLRI), 3, 4, bad, TAW, context ? { context } : {});
  const R34 = "RFC 4271 §4.3, §6.3; RFC 7606 §3(c)";
  {
    const o = attr(F_OPT_TRANS, 1, [0]);
    v.push(
      flagsTaw(
        "upd-flags-origin-optional",
        R34,
        "ORIGIN with flags 0xc0 (Optional bit set on a well-known attribute) → 3/4, data = attribute, treat-as-withdraw",
        o,
        cat(o, AS_PATH(65001), NEXT_HOP()),
      ),
    );
    const a = attr(0x00, 2, asSeq4(65001));
    v.push(
      flagsTaw(
        "upd-flags-as-path-not-transitive",
        R34,
        "AS_PATH with flags 0x00 (Transitive bit clear on a well-known attribute) → 3/4, treat-as-withdraw",
        a,
        cat(ORIGIN(0), a, NEXT_HOP()),
      ),
    );
    const n = attr(F_OPTIONAL, 3, ip4("192.0.2.1"));
    v.push(
      flagsTaw(
        "upd-flags-next-hop-optional-non-transitive",
        R34,
        "NEXT_HOP with flags 0x80 → 3/4, treat-as-withdraw",
        n,
        cat(ORIGIN(0), AS_PATH(65001), n),
      ),
    );
    const m = attr(F_OPT_TRANS, 4, u32(10));
    v.push(
      flagsTaw(
        "upd-flags-med-transitive",
        R34,
        "MULTI_EXIT_DISC (optional non-transitive) with flags 0xc0 → 3/4, treat-as-withdraw",
        m,
        cat(BASE, m),
      ),
    );
    const l = attr(F_OPT_TRANS, 5, u32(100));
    v.push(
      flagsTaw(
        "upd-flags-local-pref-optional",
        R34,
        "iBGP LOCAL_PREF with flags 0xc0 → 3/4, treat-as-withdraw",
        l,
        cat(ORIGIN(0), AS_PATH(), NEXT_HOP(), l),
        ibgp,
      ),
    );
    const c = attr(F_WELL_KNOWN, 8, u32(0xfde80001));
    v.push(
      flagsTaw(
        "upd-flags-communities-well-known",
        R34,
        "COMMUNITIES (optional transitive) with flags 0x40 → 3/4, treat-as-withdraw",
        c,
        cat(BASE, c),
      ),
    );
    const lc = attr(F_OPTIONAL, 32, cat(u32(65001), u32(1), u32(2)));
    v.push(
      flagsTaw(
        "upd-flags-large-communities-non-transitive",
        "RFC 8092 §2; RFC 7606 §3(c)",
        "LARGE_COMMUNITY (optional transitive) with flags 0x80 → 3/4, treat-as-withdraw",
        lc,
        cat(BASE, lc),
      ),
    );
    const ag = attr(F_WELL_KNOWN, 7, cat(u32(65001), ip4("192.0.2.9")));
    v.push(
      attrErr(
        "upd-flags-aggregator-well-known",
        "RFC 4271 §6.3; RFC 7606 §3(c), §7.7",
        "AGGREGATOR (optional transitive) with flags 0x40 → 3/4; §3(c) uses treat-as-withdraw unless the attribute's own rule differs, and §7.7 makes a malformed AGGREGATOR attribute discard (FRR does the same) (D4)",
        update(cat(BASE, ag), NLRI),
        3,
        4,
        ag,
        DISCARD,
        { discarded: [7] },
      ),
    );
    const op = attr(0x60, 1, [0]);
    v.push(
      flagsTaw(
        "upd-flags-origin-partial",
        "RFC 4271 §4.3, §6.3; RFC 7606 §3(e)",
        "ORIGIN with the Partial bit set (flags 0x60): Partial MUST be 0 on well-known attributes → 3/4; RFC 7606 §3(e) turns an ORIGIN session reset into treat-as-withdraw (D4)",
        op,
        cat(op, AS_PATH(65001), NEXT_HOP()),
      ),
    );
    const ap = attr(0x60, 6, []);
    v.push(
      attrErr(
        "upd-flags-atomic-aggregate-partial",
        "RFC 4271 §4.3, §6.3; RFC 7606 §3(f)",
        "ATOMIC_AGGREGATE with the Partial bit set (flags 0x60) → 3/4; not an O/T conflict, so §3(f) applies: attribute discard (D4)",
        update(cat(BASE, ap), NLRI),
        3,
        4,
        ap,
        DISCARD,
        { discarded: [6] },
      ),
    );
    const mr = attr(F_OPT_TRANS, 14, MP_REACH_VALUE(2, 1, NH6, NLRI6));
    v.push(
      attrErr(
        "upd-flags-mp-reach-transitive",
        "RFC 7606 §3(c), §5.3; RFC 4760 §3, §7",
        "MP_REACH_NLRI with flags 0xc0 (must be optional non-transitive): RFC 7606 §5.3 makes it malformed with AFI/SAFI disable or session reset; we reset; the flags conflict itself is 3/4 Attribute Flags Error (RFC 4271 §6.3) (D1)",
        update(cat(mr, ORIGIN(0), AS_PATH(65001))),
        3,
        4,
        mr,
        RESET,
      ),
    );
    const mu = attr(F_WELL_KNOWN, 15, cat(u16(2), u8(1), NLRI6));
    v.push(
      attrErr(
        "upd-flags-mp-unreach-well-known",
        "RFC 7606 §3(c), §5.3; RFC 4760 §4, §7",
        "MP_UNREACH_NLRI with flags 0x40 → 3/4 Attribute Flags Error, and session reset because its withdrawals cannot be trusted (D1)",
        update(mu),
        3,
        4,
        mu,
        RESET,
      ),
    );
  }

  // ----- 3/5 Attribute Length Error (D5) by attribute, with RFC 7606 §7 outcomes -----
  const lenErr = (
    id: string,
    rfc: string,
    source: string,
    bad: Bytes,
    attrs: Bytes,
    outcome: Outcome,
    extra: { context?: Context; discarded?: number[] } = {},
  ) => attrErr(id, rfc, source, update(attrs, NLRI), 3, 5, bad, outcome, extra);
  {
    const o2 = attr(F_WELL_KNOWN, 1, [0, 0]);
    v.push(
      lenErr(
        "upd-origin-length-2",
        "RFC 4271 §6.3; RFC 7606 §7.1",
        "ORIGIN with length 2 → 3/5, treat-as-withdraw",
        o2,
        cat(o2, AS_PATH(65001), NEXT_HOP()),
        TAW,
      ),
    );
    const o0 = attr(F_WELL_KNOWN, 1, []);
    v.push(
      lenErr(
        "upd-origin-length-0",
        "RFC 4271 §6.3; RFC 7606 §4, §7.1",
        "ORIGIN with length 0 (only AS_PATH and ATOMIC_AGGREGATE may be empty) → 3/5, treat-as-withdraw",
        o0,
        cat(o0, AS_PATH(65001), NEXT_HOP()),
        TAW,
      ),
    );
    const n5 = attr(F_WELL_KNOWN, 3, [192, 0, 2, 1, 0]);
    v.push(
      lenErr(
        "upd-next-hop-length-5",
        "RFC 4271 §6.3; RFC 7606 §7.3",
        "NEXT_HOP with length 5 → 3/5, treat-as-withdraw",
        n5,
        cat(ORIGIN(0), AS_PATH(65001), n5),
        TAW,
      ),
    );
    const n16 = attr(F_WELL_KNOWN, 3, NH6);
    v.push(
      lenErr(
        "upd-next-hop-length-16",
        "RFC 4271 §6.3; RFC 7606 §7.3",
        "NEXT_HOP carrying a 16-octet IPv6 address (IPv6 next hops belong in MP_REACH_NLRI) → 3/5, treat-as-withdraw",
        n16,
        cat(ORIGIN(0), AS_PATH(65001), n16),
        TAW,
      ),
    );
    const n0 = attr(F_WELL_KNOWN, 3, []);
    v.push(
      lenErr(
        "upd-next-hop-length-0",
        "RFC 4271 §6.3; RFC 7606 §4, §7.3",
        "NEXT_HOP with length 0 → 3/5, treat-as-withdraw",
        n0,
        cat(ORIGIN(0), AS_PATH(65001), n0),
        TAW,
      ),
    );
    const m3 = attr(F_OPTIONAL, 4, [0, 0, 10]);
    v.push(
      lenErr(
        "upd-med-length-3",
        "RFC 4271 §6.3; RFC 7606 §7.4",
        "MULTI_EXIT_DISC with length 3 → 3/5, treat-as-withdraw",
        m3,
        cat(BASE, m3),
        TAW,
      ),
    );
    const m0 = attr(F_OPTIONAL, 4, []);
    v.push(
      lenErr(
        "upd-med-length-0",
        "RFC 4271 §6.3; RFC 7606 §4, §7.4",
        "MULTI_EXIT_DISC with length 0 → 3/5, treat-as-withdraw",
        m0,
        cat(BASE, m0),
        TAW,
      ),
    );
    const l2 = attr(F_WELL_KNOWN, 5, [0, 100]);
    v.push(
      lenErr(
        "upd-local-pref-ibgp-length-2",
        "RFC 4271 §6.3; RFC 7606 §7.5",
        "LOCAL_PREF with length 2 from an internal peer → 3/5, treat-as-withdraw",
        l2,
        cat(ORIGIN(0), AS_PATH(), NEXT_HOP(), l2),
        TAW,
        { context: ibgp },
      ),
    );
    const l3e = attr(F_WELL_KNOWN, 5, [0, 0, 100]);
    v.push(
      lenErr(
        "upd-local-pref-ebgp-length-3",
        "RFC 4271 §5.1.5, §6.3; RFC 7606 §7.5",
        "LOCAL_PREF with length 3 from an external peer: §7.5 discards LOCAL_PREF from eBGP whatever its length; the length problem is the recorded classification (D12)",
        l3e,
        cat(BASE, l3e),
        DISCARD,
        { discarded: [5] },
      ),
    );
    const aa1 = attr(F_WELL_KNOWN, 6, [0]);
    v.push(
      lenErr(
        "upd-atomic-aggregate-length-1",
        "RFC 4271 §6.3; RFC 7606 §7.6",
        "ATOMIC_AGGREGATE with length 1 → 3/5, attribute discard",
        aa1,
        cat(BASE, aa1),
        DISCARD,
        { discarded: [6] },
      ),
    );
    const ag7 = attr(F_OPT_TRANS, 7, cat(u32(65001), ip4("192.0.2.9")).slice(0, 7));
    v.push(
      lenErr(
        "upd-aggregator-length-7",
        "RFC 4271 §6.3; RFC 7606 §7.7",
        "AGGREGATOR with length 7 on a 4-octet-AS session (must be 8) → 3/5, attribute discard",
        ag7,
        cat(BASE, ag7),
        DISCARD,
        { discarded: [7] },
      ),
    );
    const ag6 = AGGREGATOR2(65001, "192.0.2.9");
    v.push(
      lenErr(
        "upd-aggregator-length-6-on-four-octet-session",
        "RFC 6793 §4.1; RFC 7606 §7.7",
        "2-octet-AS AGGREGATOR (6 octets) on a session where 4-octet AS was negotiated (must be 8) → 3/5, attribute discard",
        ag6,
        cat(BASE, ag6),
        DISCARD,
        { discarded: [7] },
      ),
    );
    const ag8 = AGGREGATOR(65001, "192.0.2.9");
    v.push(
      lenErr(
        "upd-aggregator-length-8-on-two-octet-session",
        "RFC 4271 §4.3, §6.3; RFC 7606 §7.7",
        "4-octet-AS AGGREGATOR (8 octets) on a session without the 4-octet AS capability (must be 6) → 3/5, attribute discard",
        ag8,
        cat(BASE2, ag8),
        DISCARD,
        { context: old, discarded: [7] },
      ),
    );
    const c5 = attr(F_OPT_TRANS, 8, [0xfd, 0xe8, 0, 1, 0]);
    v.push(
      lenErr(
        "upd-communities-length-5",
        "RFC 1997; RFC 4271 §6.3; RFC 7606 §7.8",
        "COMMUNITIES with length 5 (not a multiple of 4) → 3/5, treat-as-withdraw (D5)",
        c5,
        cat(BASE, c5),
        TAW,
      ),
    );
    const c0 = attr(F_OPT_TRANS, 8, []);
    v.push(
      lenErr(
        "upd-communities-length-0",
        "RFC 1997; RFC 4271 §6.3; RFC 7606 §4, §7.8",
        "COMMUNITIES with length 0 → 3/5, treat-as-withdraw",
        c0,
        cat(BASE, c0),
        TAW,
      ),
    );
    const oi5 = attr(F_OPTIONAL, 9, [192, 0, 2, 7, 0]);
    v.push(
      lenErr(
        "upd-originator-id-ibgp-length-5",
        "RFC 4456 §8; RFC 4271 §6.3; RFC 7606 §7.9",
        "ORIGINATOR_ID with length 5 from an internal peer → 3/5, treat-as-withdraw",
        oi5,
        cat(ORIGIN(0), AS_PATH(), NEXT_HOP(), LOCAL_PREF(100), oi5),
        TAW,
        { context: ibgp },
      ),
    );
    const cl6 = attr(F_OPTIONAL, 10, [192, 0, 2, 7, 0, 0]);
    v.push(
      lenErr(
        "upd-cluster-list-ibgp-length-6",
        "RFC 4456 §8; RFC 4271 §6.3; RFC 7606 §7.10",
        "CLUSTER_LIST with length 6 (not a multiple of 4) from an internal peer → 3/5, treat-as-withdraw",
        cl6,
        cat(ORIGIN(0), AS_PATH(), NEXT_HOP(), LOCAL_PREF(100), cl6),
        TAW,
        { context: ibgp },
      ),
    );
    const cl0 = attr(F_OPTIONAL, 10, []);
    v.push(
      lenErr(
        "upd-cluster-list-ibgp-length-0",
        "RFC 4456 §8; RFC 4271 §6.3; RFC 7606 §4, §7.10",
        "CLUSTER_LIST with length 0 from an internal peer → 3/5, treat-as-withdraw",
        cl0,
        cat(ORIGIN(0), AS_PATH(), NEXT_HOP(), LOCAL_PREF(100), cl0),
        TAW,
        { context: ibgp },
      ),
    );
    const ec12 = attr(F_OPT_TRANS, 16, cat(ROUTE_TARGET_65000_1, [0, 0, 0, 0]));
    v.push(
      lenErr(
        "upd-ext-communities-length-12",
        "RFC 4360 §2; RFC 4271 §6.3; RFC 7606 §7.14",
        "EXTENDED COMMUNITIES with length 12 (not a multiple of 8) → 3/5, treat-as-withdraw",
        ec12,
        cat(BASE, ec12),
        TAW,
      ),
    );
    const ec0 = attr(F_OPT_TRANS, 16, []);
    v.push(
      lenErr(
        "upd-ext-communities-length-0",
        "RFC 4360 §2; RFC 7606 §4, §7.14",
        "EXTENDED COMMUNITIES with length 0 → 3/5, treat-as-withdraw",
        ec0,
        cat(BASE, ec0),
        TAW,
      ),
    );
    const te20 = attr(F_OPT_TRANS, 24, fill(20));
    v.push(
      vec(
        "upd-traffic-engineering-length-20",
        "RFC 4271 §5, §9; RFC 7606 §7.13",
        "Traffic Engineering attribute (type 24) of 20 octets: signalbox does not interpret type 24, so it is an unrecognized optional attribute, kept as bytes and passed on (RFC 7606 §7.13 binds only speakers that implement it) (D14)",
        update(cat(BASE, te20), NLRI),
        { expect: { type: "UPDATE", attributes: [1, 2, 3, 24], nlri: [NLRI_TEXT] } },
      ),
    );
    const v6ec = attr(F_OPT_TRANS, 25, fill(19));
    v.push(
      vec(
        "upd-ipv6-ext-communities-length-19",
        "RFC 4271 §5, §9; RFC 7606 §7.15",
        "IPv6 Address Specific Extended Community (type 25) of 19 octets: signalbox does not interpret type 25, so it is an unrecognized optional attribute, kept as bytes and passed on (D14)",
        update(cat(BASE, v6ec), NLRI),
        { expect: { type: "UPDATE", attributes: [1, 2, 3, 25], nlri: [NLRI_TEXT] } },
      ),
    );
    const lc13 = attr(F_OPT_TRANS, 32, cat(u32(65001), u32(1), u32(2), [0]));
    v.push(
      lenErr(
        "upd-large-communities-length-13",
        "RFC 8092 §6; RFC 4271 §6.3",
        "LARGE_COMMUNITY with length 13 (not a multiple of 12) → 3/5, treat-as-withdraw",
        lc13,
        cat(BASE, lc13),
        TAW,
      ),
    );
    const lc0 = attr(F_OPT_TRANS, 32, []);
    v.push(
      lenErr(
        "upd-large-communities-length-0",
        "RFC 8092 §6; RFC 4271 §6.3",
        "LARGE_COMMUNITY with length 0 (must be a non-zero multiple of 12) → 3/5, treat-as-withdraw",
        lc0,
        cat(BASE, lc0),
        TAW,
      ),
    );
    const a4a6 = attr(F_OPT_TRANS, 18, cat(u16(65001), ip4("192.0.2.9")));
    v.push(
      lenErr(
        "upd-as4-aggregator-length-6",
        "RFC 6793 §6",
        "AS4_AGGREGATOR with length 6 (must be 8) from an OLD speaker → 3/5, attribute discard",
        a4a6,
        cat(BASE2, AGGREGATOR2(23456, "192.0.2.9"), a4a6),
        DISCARD,
        { context: old, discarded: [18] },
      ),
    );
  }

  // ----- 3/6 Invalid ORIGIN -----
  for (const value of [3, 255]) {
    const o = ORIGIN(value);
    v.push(
      attrErr(
        `upd-origin-value-${value}`,
        "RFC 4271 §5.1.1, §6.3; RFC 7606 §7.1",
        `ORIGIN value ${value} (defined values are 0..2) → 3/6, data = attribute, treat-as-withdraw`,
        update(cat(o, AS_PATH(65001), NEXT_HOP()), NLRI),
        3,
        6,
        o,
        TAW,
      ),
    );
  }

  // ----- 3/8 Invalid NEXT_HOP (syntactic: not a valid host address) (D21) -----
  for (const [name, addr] of [
    ["zero", "0.0.0.0"],
    ["limited-broadcast", "255.255.255.255"],
    ["multicast", "224.0.0.5"],
  ] as const) {
    const n = NEXT_HOP(addr);
    v.push(
      attrErr(
        `upd-next-hop-${name}`,
        "RFC 4271 §5.1.3, §6.3; RFC 7606 §3(e), §7.3",
        `NEXT_HOP ${addr} is not a valid unicast host address → 3/8, data = attribute; §3(e) makes the NEXT_HOP session reset treat-as-withdraw (D21)`,
        update(cat(ORIGIN(0), AS_PATH(65001), n), NLRI),
        3,
        8,
        n,
        TAW,
      ),
    );
  }

  // ----- 3/9 Optional Attribute Error -----
  {
    const ag0 = AGGREGATOR(0, "192.0.2.9");
    v.push(
      attrErr(
        "upd-aggregator-as-zero",
        "RFC 7607 §2; RFC 7606 §7.7",
        "AGGREGATOR naming AS 0 is malformed → 3/9, data = attribute, attribute discard (D5)",
        update(cat(BASE, ag0), NLRI),
        3,
        9,
        ag0,
        DISCARD,
        { discarded: [7] },
      ),
    );

    const mpErr = (id: string, rfc: string, source: string, bad: Bytes, attrs: Bytes) =>
      attrErr(id, rfc, source, update(attrs), 3, 9, bad, RESET);
    const m4 = attr(F_OPTIONAL, 14, [0, 2, 1, 16]);
    v.push(
      mpErr(
        "upd-mp-reach-length-4",
        "RFC 7606 §5.3, §7.11; RFC 4760 §7",
        "MP_REACH_NLRI of 4 octets (minimum 5) → malformed, AFI/SAFI disable or session reset: session reset with 3/9 (D1)",
        m4,
        cat(m4, ORIGIN(0), AS_PATH(65001)),
      ),
    );
    const nh24 = attr(F_OPTIONAL, 14, MP_REACH_VALUE(2, 1, fill(24, 0x20), NLRI6));
    v.push(
      mpErr(
        "upd-mp-reach-ipv6-next-hop-length-24",
        "RFC 7606 §7.11; RFC 4760 §3, §7; RFC 2545 §3",
        "IPv6 unicast MP_REACH_NLRI with a 24-octet next hop (16 or 32 expected): the NLRI cannot be located → session reset, 3/9 (D1)",
        nh24,
        cat(nh24, ORIGIN(0), AS_PATH(65001)),
      ),
    );
    const nh4 = attr(F_OPTIONAL, 14, MP_REACH_VALUE(2, 1, ip4("192.0.2.1"), NLRI6));
    v.push(
      mpErr(
        "upd-mp-reach-ipv6-next-hop-length-4",
        "RFC 7606 §7.11; RFC 4760 §3, §7; RFC 2545 §3",
        "IPv6 unicast MP_REACH_NLRI with a 4-octet next hop → session reset, 3/9 (D1)",
        nh4,
        cat(nh4, ORIGIN(0), AS_PATH(65001)),
      ),
    );
    const nh5 = attr(F_OPTIONAL, 14, MP_REACH_VALUE(1, 1, [192, 0, 2, 1, 0], NLRI));
    v.push(
      mpErr(
        "upd-mp-reach-ipv4-next-hop-length-5",
        "RFC 7606 §7.11; RFC 4760 §3, §7",
        "IPv4 unicast MP_REACH_NLRI with a 5-octet next hop (4 expected) → session reset, 3/9 (D1)",
        nh5,
        cat(nh5, ORIGIN(0), AS_PATH(65001)),
      ),
    );
    const nhOver = attr(F_OPTIONAL, 14, cat([0, 2, 1, 32], NH6));
    v.push(
      mpErr(
        "upd-mp-reach-next-hop-overruns-attribute",
        "RFC 7606 §5.3, §7.11; RFC 4760 §7",
        "MP_REACH_NLRI whose Next Hop Length 32 runs past the 20-octet attribute → session reset, 3/9 (D1)",
        nhOver,
        cat(nhOver, ORIGIN(0), AS_PATH(65001)),
      ),
    );
    const noRes = attr(F_OPTIONAL, 14, cat([0, 2, 1, 16], NH6));
    v.push(
      mpErr(
        "upd-mp-reach-missing-reserved-octet",
        "RFC 4760 §3, §7; RFC 7606 §7.11",
        "MP_REACH_NLRI that ends right after a 16-octet next hop, without the Reserved octet → session reset, 3/9 (D1)",
        noRes,
        cat(noRes, ORIGIN(0), AS_PATH(65001)),
      ),
    );
    const mu2 = attr(F_OPTIONAL, 15, [0, 2]);
    v.push(
      mpErr(
        "upd-mp-unreach-length-2",
        "RFC 7606 §5.3, §7.12; RFC 4760 §7",
        "MP_UNREACH_NLRI of 2 octets (minimum 3) → session reset, 3/9 (D1)",
        mu2,
        mu2,
      ),
    );

    // AS4_PATH / AS4_AGGREGATOR from an OLD speaker: malformed → attribute discard (RFC 6793 §6).
    const as4 = (id: string, rfc: string, source: string, bad: Bytes, code: number) =>
      attrErr(
        id,
        rfc,
        source,
        update(cat(ORIGIN(0), AS_PATH2(23456), NEXT_HOP(), bad), NLRI),
        3,
        9,
        bad,
        DISCARD,
        {
          context: old,
          discarded: [code],
        },
      );
    const R6 = "RFC 6793 §6; RFC 4271 §6.3";
    v.push(
      as4(
        "upd-as4-path-segment-overrun",
        R6,
        "AS4_PATH segment claiming 2 ASes with 1 present → malformed, 3/9, attribute discard",
        attr(F_OPT_TRANS, 17, cat([2, 2], u32(4200000001))),
        17,
      ),
    );
    v.push(
      as4(
        "upd-as4-path-segment-length-zero",
        R6,
        "AS4_PATH with a zero-length segment before a valid one → malformed, 3/9, attribute discard",
        attr(F_OPT_TRANS, 17, cat([2, 0], asSeq4(4200000001))),
        17,
      ),
    );
    v.push(
      as4(
        "upd-as4-path-length-5",
        R6,
        "AS4_PATH of 5 octets (odd, and too short for one AS) → malformed, 3/9, attribute discard",
        attr(F_OPT_TRANS, 17, [2, 1, 0xfa, 0x56, 0xea]),
        17,
      ),
    );
    v.push(
      as4(
        "upd-as4-path-unknown-segment-type",
        R6,
        "AS4_PATH with segment type 5 → malformed, 3/9, attribute discard",
        attr(F_OPT_TRANS, 17, cat([5, 1], u32(4200000001))),
        17,
      ),
    );
    v.push(
      as4(
        "upd-as4-path-as-zero",
        "RFC 7607 §2; RFC 6793 §6",
        "AS4_PATH containing AS 0 → malformed, handled per RFC 6793: 3/9, attribute discard",
        AS4_PATH(0),
        17,
      ),
    );
    const a4ag0 = AS4_AGGREGATOR(0, "192.0.2.9");
    v.push(
      attrErr(
        "upd-as4-aggregator-as-zero",
        "RFC 7607 §2; RFC 6793 §6",
        "AS4_AGGREGATOR naming AS 0 (with AGGREGATOR AS_TRANS) → malformed, 3/9, attribute discard",
        update(cat(BASE2, AGGREGATOR2(23456, "192.0.2.9"), a4ag0), NLRI),
        3,
        9,
        a4ag0,
        DISCARD,
        { context: old, discarded: [18] },
      ),
    );
  }

  // ----- AS4_* from a NEW speaker: discarded, no error (D13) -----
  v.push(
    vec(
      "upd-as4-path-from-new-speaker",
      "RFC 6793 §4.1",
      "AS4_PATH received on a session where both sides are NEW (4-octet AS negotiated): MUST be discarded and the UPDATE processed; not an error, so no `error` (D13)",
      update(cat(BASE, AS4_PATH(4200000001)), NLRI),
      { outcome: DISCARD, discarded: [17] },
    ),
    vec(
      "upd-as4-aggregator-from-new-speaker",
      "RFC 6793 §4.1",
      "AS4_AGGREGATOR received from a NEW speaker: discarded, UPDATE processed; no error (D13)",
      update(cat(BASE, AGGREGATOR(4200000001, "192.0.2.9"), AS4_AGGREGATOR(4200000001, "192.0.2.9")), NLRI),
      { outcome: DISCARD, discarded: [18] },
    ),
  );

  // ----- eBGP-only discards (D12) -----
  v.push(
    vec(
      "upd-local-pref-from-ebgp",
      "RFC 4271 §5.1.5; RFC 7606 §7.5",
      "well-formed LOCAL_PREF from an external peer: discarded by attribute discard; RFC 4271 makes it 'ignored', not an error, so no `error` (D12)",
      update(cat(BASE, LOCAL_PREF(200)), NLRI),
      { outcome: DISCARD, discarded: [5] },
    ),
    vec(
      "upd-originator-id-from-ebgp",
      "RFC 4456 §8; RFC 7606 §7.9",
      "ORIGINATOR_ID from an external peer: attribute discard, no error (D12)",
      update(cat(BASE, ORIGINATOR_ID("192.0.2.7")), NLRI),
      { outcome: DISCARD, discarded: [9] },
    ),
    vec(
      "upd-cluster-list-from-ebgp",
      "RFC 4456 §8; RFC 7606 §7.10",
      "CLUSTER_LIST from an external peer: attribute discard, no error (D12)",
      update(cat(BASE, CLUSTER_LIST("192.0.2.7")), NLRI),
      { outcome: DISCARD, discarded: [10] },
    ),
  );

  // ----- 3/10 Invalid Network Field (D2) -----
  const netErr = (id: string, rfc: string, source: string, msg: Bytes, context?: Context) =>
    vec(id, rfc, source, msg, { ...(context ? { context } : {}), error: err(3, 10), outcome: RESET });
  const R310 = "RFC 4271 §4.3, §6.3; RFC 7606 §3(j), §5.3";
  v.push(
    netErr(
      "upd-nlri-prefix-length-33",
      R310,
      "IPv4 NLRI with prefix length 33 → Invalid Network Field, session reset, no data (D2, D8)",
      update(BASE, [33, 198, 51, 100, 1, 0]),
    ),
    netErr(
      "upd-nlri-overrun",
      R310,
      "last IPv4 NLRI says /24 but only 2 address octets remain → 3/10, session reset",
      update(BASE, cat(NLRI, [24, 203, 0])),
    ),
    netErr(
      "upd-withdrawn-prefix-length-33",
      "RFC 4271 §6.3; RFC 7606 §3(i), §5.3",
      "Withdrawn Routes entry with prefix length 33 → 3/10, session reset",
      update([], [], [33, 198, 51, 100, 1, 0]),
    ),
    netErr(
      "upd-withdrawn-overrun",
      "RFC 4271 §6.3; RFC 7606 §3(i), §5.3",
      "Withdrawn Routes entry /24 with only 2 address octets inside the Withdrawn Routes Length → 3/10, session reset",
      update([], [], [24, 198, 51]),
    ),
    netErr(
      "upd-mp-reach-ipv6-prefix-length-129",
      "RFC 4760 §5; RFC 7606 §5.3",
      "IPv6 NLRI with prefix length 129 inside MP_REACH_NLRI → 3/10, session reset (D2)",
      update(cat(MP_REACH(2, 1, NH6, cat([129], fill(17, 0x20))), ORIGIN(0), AS_PATH(65001))),
    ),
    netErr(
      "upd-mp-reach-ipv6-nlri-overrun",
      "RFC 4760 §5; RFC 7606 §5.3",
      "last IPv6 NLRI in MP_REACH_NLRI says /64 with 3 octets left in the attribute → 3/10, session reset (D2)",
      update(cat(MP_REACH(2, 1, NH6, cat(NLRI6, [64, 0x20, 0x01, 0x0d])), ORIGIN(0), AS_PATH(65001))),
    ),
    netErr(
      "upd-mp-reach-ipv4-prefix-length-33",
      "RFC 4760 §5; RFC 7606 §5.3",
      "IPv4 unicast NLRI with prefix length 33 inside MP_REACH_NLRI → 3/10, session reset (D2)",
      update(cat(MP_REACH(1, 1, ip4("192.0.2.1"), [33, 198, 51, 100, 1, 0]), ORIGIN(0), AS_PATH(65001))),
    ),
    netErr(
      "upd-mp-unreach-ipv6-prefix-length-129",
      "RFC 4760 §5; RFC 7606 §5.3",
      "MP_UNREACH_NLRI IPv6 withdrawal with prefix length 129 → 3/10, session reset (D2)",
      update(MP_UNREACH(2, 1, cat([129], fill(17, 0x20)))),
    ),
    netErr(
      "upd-mp-unreach-ipv6-overrun",
      "RFC 4760 §5; RFC 7606 §5.3",
      "MP_UNREACH_NLRI IPv6 withdrawal /48 with 2 octets left in the attribute → 3/10, session reset (D2)",
      update(MP_UNREACH(2, 1, [48, 0x20, 0x01])),
    ),
  );

  // ----- 3/11 Malformed AS_PATH → treat-as-withdraw (RFC 7606 §7.2) -----
  const asp = (id: string, rfc: string, source: string, value: Bytes, context?: Context) => {
    const a = attr(F_WELL_KNOWN, 2, value);
    return vec(id, rfc, source, update(cat(ORIGIN(0), a, NEXT_HOP()), NLRI), {
      ...(context ? { context } : {}),
      error: err(3, 11),
      outcome: TAW,
    });
  };
  const R311 = "RFC 4271 §4.3, §6.3; RFC 7606 §7.2";
  v.push(
    asp(
      "upd-as-path-unknown-segment-type-5",
      R311,
      "AS_PATH segment type 5 (unrecognised) → 3/11, treat-as-withdraw, no data (D8)",
      cat([5, 1], u32(65001)),
    ),
    asp(
      "upd-as-path-segment-type-0",
      R311,
      "AS_PATH segment type 0 → 3/11, treat-as-withdraw",
      cat([0, 1], u32(65001)),
    ),
    asp(
      "upd-as-path-segment-overrun",
      R311,
      "AS_PATH segment claiming 2 ASes with 1 present (overrun) → 3/11, treat-as-withdraw",
      cat([2, 2], u32(65001)),
    ),
    asp(
      "upd-as-path-segment-underrun",
      R311,
      "AS_PATH with one octet left after the last complete segment (underrun) → 3/11, treat-as-withdraw",
      cat(asSeq4(65001), [2]),
    ),
    asp(
      "upd-as-path-segment-length-zero",
      R311,
      "AS_PATH segment with Path Segment Length 0 → 3/11, treat-as-withdraw",
      [2, 0],
    ),
    asp(
      "upd-as-path-confed-sequence-from-ebgp",
      "RFC 5065 §5; RFC 4271 §6.3; RFC 7606 §3(e), §7.2",
      "AS_PATH holding an AS_CONFED_SEQUENCE (type 3) from an eBGP peer outside any confederation (we implement none): RFC 5065 §5 makes it a malformed AS_PATH, 3/11; RFC 7606 §3(e) makes it treat-as-withdraw",
      cat([3, 1], u32(65010), asSeq4(65001)),
    ),
    asp(
      "upd-as-path-as-zero",
      "RFC 7607 §2; RFC 7606 §7.2",
      "AS_PATH containing AS 0 → malformed AS_PATH, treat-as-withdraw",
      asSeq4(65001, 0),
    ),
    asp(
      "upd-as-path-two-octet-overrun",
      R311,
      "2-octet AS_PATH (no 4-octet AS capability) whose segment claims 2 ASes with 1 present → 3/11, treat-as-withdraw",
      cat([2, 2], u16(65001)),
      old,
    ),
    asp(
      "upd-as-path-four-octet-encoding-to-old-speaker",
      "RFC 6793 §4.2; RFC 7607 §2; RFC 7606 §7.2",
      "4-octet-encoded AS_PATH on a 2-octet session: read with 2-octet ASNs it yields AS 0 and then segment type 0xfd → 3/11, treat-as-withdraw",
      asSeq4(65001),
      old,
    ),
  );

  // ----- RFC 7606 §4: attribute framing errors with locatable NLRI → treat-as-withdraw (D6) -----
  const R4 = "RFC 7606 §4; RFC 4271 §6.3";
  v.push(
    vec(
      id4("overruns-total-path-attribute-length"),
      R4,
      "last attribute (COMMUNITIES) claims 8 value octets, 4 remain before the Total Path Attribute Length ends; the NLRI is still located from that length → 3/1, treat-as-withdraw (D6)",
      update(cat(BASE, attrLen(F_OPT_TRANS, 8, 8, u32(0xfde80001))), NLRI),
      { error: err(3, 1), outcome: TAW },
    ),
    vec(
      id4("header-truncated"),
      R4,
      "2 octets remain in the path attributes (fewer than the 3 of a minimum attribute) → 3/1, treat-as-withdraw (D6)",
      update(cat(BASE, [F_OPT_TRANS, 8]), NLRI),
      { error: err(3, 1), outcome: TAW },
    ),
    vec(
      id4("extended-length-header-truncated"),
      R4,
      "3 octets remain but the Extended Length bit needs 4 for the header → 3/1, treat-as-withdraw (D6)",
      update(cat(BASE, [F_OPT_TRANS | F_EXT, 8, 0]), NLRI),
      { error: err(3, 1), outcome: TAW },
    ),
    vec(
      id4("extended-length-overrun"),
      R4,
      "Extended Length COMMUNITIES claiming 256 octets with 4 present → 3/1, treat-as-withdraw (D6)",
      update(cat(BASE, attrLen(F_OPT_TRANS | F_EXT, 8, 256, u32(0xfde80001))), NLRI),
      { error: err(3, 1), outcome: TAW },
    ),
  );

  // ----- RFC 7606 §5.2: attributes but no reachable NLRI → anything stronger than discard resets (D7) -----
  const R52 = "RFC 7606 §5.2";
  v.push(
    vec(
      "upd-no-nlri-attribute-overrun",
      `${R52}, §4`,
      "the §4 overrun above, but the UPDATE has no NLRI: treat-as-withdraw has nothing to withdraw → session reset, 3/1 (D7)",
      update(cat(BASE, attrLen(F_OPT_TRANS, 8, 8, u32(0xfde80001)))),
      { error: err(3, 1), outcome: RESET },
    ),
    attrErr(
      "upd-no-nlri-origin-invalid",
      `${R52}, §7.1`,
      "attributes only, ORIGIN value 3 → 3/6; no reachable NLRI so session reset (D7)",
      update(cat(ORIGIN(3), AS_PATH(65001), NEXT_HOP())),
      3,
      6,
      ORIGIN(3),
      RESET,
    ),
    attrErr(
      "upd-no-nlri-flags-error",
      `${R52}, §3(c)`,
      "attributes only, NEXT_HOP with flags 0x80 → 3/4; no reachable NLRI so session reset (D7)",
      update(cat(ORIGIN(0), AS_PATH(65001), attr(F_OPTIONAL, 3, ip4("192.0.2.1")))),
      3,
      4,
      attr(F_OPTIONAL, 3, ip4("192.0.2.1")),
      RESET,
    ),
    attrErr(
      "upd-withdrawn-with-malformed-origin",
      `${R52}, §7.1`,
      "Withdrawn Routes plus attributes with ORIGIN of length 2 and no NLRI: no reachable NLRI → session reset, 3/5 (D7)",
      update(cat(attr(F_WELL_KNOWN, 1, [0, 0]), AS_PATH(65001), NEXT_HOP()), [], NLRI),
      3,
      5,
      attr(F_WELL_KNOWN, 1, [0, 0]),
      RESET,
    ),
    attrErr(
      "upd-mp-unreach-with-malformed-med",
      `${R52}, §7.4`,
      "MP_UNREACH_NLRI withdrawal plus a MULTI_EXIT_DISC of length 3: no reachable NLRI → session reset, 3/5 (D7)",
      update(cat(MP_UNREACH(2, 1, NLRI6), attr(F_OPTIONAL, 4, [0, 0, 1]))),
      3,
      5,
      attr(F_OPTIONAL, 4, [0, 0, 1]),
      RESET,
    ),
    attrErr(
      "upd-no-nlri-atomic-aggregate-length-1",
      `${R52}, §7.6`,
      "attributes only with ATOMIC_AGGREGATE of length 1: attribute discard is the one approach §5.2 leaves alone",
      update(cat(BASE, attr(F_WELL_KNOWN, 6, [0]))),
      3,
      5,
      attr(F_WELL_KNOWN, 6, [0]),
      DISCARD,
      { discarded: [6] },
    ),
  );

  // ----- RFC 7606 §3(h): several errors → strongest action (D9) -----
  const R3h = "RFC 7606 §3(h)";
  v.push(
    attrErr(
      "upd-multiple-discard-and-withdraw",
      `${R3h}, §7.1, §7.6`,
      "ORIGIN value 3 (treat-as-withdraw) and ATOMIC_AGGREGATE length 1 (discard): the stronger treat-as-withdraw wins; error = the ORIGIN problem (D9)",
      update(cat(ORIGIN(3), AS_PATH(65001), NEXT_HOP(), attr(F_WELL_KNOWN, 6, [0])), NLRI),
      3,
      6,
      ORIGIN(3),
      TAW,
    ),
    vec(
      "upd-multiple-withdraw-and-reset",
      `${R3h}, §5.3, §7.4`,
      "MULTI_EXIT_DISC length 3 (treat-as-withdraw) and an NLRI /33 (session reset): session reset, error = 3/10 (D9)",
      update(cat(BASE, attr(F_OPTIONAL, 4, [0, 0, 1])), [33, 198, 51, 100, 1, 0]),
      { error: err(3, 10), outcome: RESET },
    ),
    attrErr(
      "upd-multiple-two-discards",
      `${R3h}, §7.6, §7.7`,
      "ATOMIC_AGGREGATE length 1 and AGGREGATOR naming AS 0: both attribute discard; error = the first in wire order (D9)",
      update(cat(BASE, attr(F_WELL_KNOWN, 6, [0]), AGGREGATOR(0, "192.0.2.9")), NLRI),
      3,
      5,
      attr(F_WELL_KNOWN, 6, [0]),
      DISCARD,
      { discarded: [6, 7] },
    ),
    attrErr(
      "upd-multiple-withdraw-and-mp-reset",
      `${R3h}, §7.1, §7.11`,
      "ORIGIN length 2 (treat-as-withdraw) and an IPv6 MP_REACH_NLRI with a 24-octet next hop (session reset): reset with 3/9 (D1, D9)",
      update(
        cat(
          attr(F_OPTIONAL, 14, MP_REACH_VALUE(2, 1, fill(24, 0x20), NLRI6)),
          attr(F_WELL_KNOWN, 1, [0, 0]),
          AS_PATH(65001),
        ),
      ),
      3,
      9,
      attr(F_OPTIONAL, 14, MP_REACH_VALUE(2, 1, fill(24, 0x20), NLRI6)),
      RESET,
    ),
  );
  return v;
}

function id4(suffix: string): string {
  return `upd-attribute-${suffix}`;
}

// =============================================================================================
// notification.json — RFC 4271 §4.5, RFC 8203/RFC 9003 shutdown communication
// =============================================================================================

function notificationVectors(): Vector[] {
  const v: Vector[] = [];
  const comm = (text: string): Bytes => {
    const b = ascii(text);
    return cat(u8(b.length), b);
  };
  const n = (code: number, subcode: number, data: Bytes, extra: Record<string, unknown> = {}) => ({
    type: "NOTIFICATION",
    code,
    subcode,
    data: hex(data),
    ...extra,
  });
  const R = "RFC 4271 §4.5; RFC 9003 §2";

  const simple = (
    id: string,
    rfc: string,
    source: string,
    code: number,
    sub: number,
    data: Bytes,
    extra = {},
    context?: Context,
  ) =>
    vec(id, rfc, source, notification(code, sub, data), {
      ...(context ? { context } : {}),
      expect: n(code, sub, data, extra),
    });

  const d1 = comm("maintenance window 42");
  const d2 = comm("Wartung läuft ✓ – back soon");
  const d255 = comm("x".repeat(255));
  const d129 = comm("y".repeat(129));
  v.push(
    simple(
      "notif-cease-shutdown-communication",
      R,
      "Cease/Administrative Shutdown with a 21-octet UTF-8 shutdown communication",
      6,
      2,
      d1,
      { shutdownCommunication: "maintenance window 42" },
    ),
    simple(
      "notif-cease-reset-communication",
      R,
      "Cease/Administrative Reset (6/4) also carries a shutdown communication",
      6,
      4,
      comm("config change"),
      { shutdownCommunication: "config change" },
    ),
    simple(
      "notif-cease-shutdown-multibyte-utf8",
      R,
      "shutdown communication with multi-octet UTF-8 (ä, ✓, en dash); length counts octets",
      6,
      2,
      d2,
      { shutdownCommunication: "Wartung läuft ✓ – back soon" },
    ),
    simple(
      "notif-cease-shutdown-255-octets",
      R,
      "255-octet shutdown communication, the RFC 9003 maximum",
      6,
      2,
      d255,
      { shutdownCommunication: "x".repeat(255) },
    ),
    simple(
      "notif-cease-shutdown-129-octets",
      "RFC 9003 §2",
      "129-octet communication: longer than RFC 8203's 128 limit, valid under RFC 9003 which obsoletes it",
      6,
      2,
      d129,
      { shutdownCommunication: "y".repeat(129) },
    ),
    simple(
      "notif-cease-shutdown-length-zero",
      R,
      "shutdown communication length 0: no communication; expect has no shutdownCommunication (D17)",
      6,
      2,
      [0],
    ),
    simple(
      "notif-cease-shutdown-no-data",
      "RFC 4271 §4.5; RFC 9003 §2",
      "Cease/Administrative Shutdown with no data at all (pre-RFC 8203 sender); decodes, no communication (D17)",
      6,
      2,
      [],
    ),
    simple(
      "notif-cease-shutdown-truncated",
      "RFC 9003 §2, §4",
      "length octet says 20 but 3 octets follow: NOT a message error, the NOTIFICATION decodes with the raw data and no shutdownCommunication (D17)",
      6,
      2,
      cat([20], ascii("abc")),
    ),
    simple(
      "notif-cease-shutdown-invalid-utf8",
      "RFC 9003 §2, §4",
      "communication of 5 octets containing 0xff 0xfe (never valid UTF-8): decodes, no shutdownCommunication (D17)",
      6,
      2,
      cat([5], ascii("ab"), [0xff, 0xfe], ascii("c")),
    ),
    simple(
      "notif-cease-shutdown-overlong-utf8",
      "RFC 9003 §2, §4; RFC 3629 §3",
      "communication using the overlong encoding c0 af for '/': invalid UTF-8 → decodes, no shutdownCommunication (D17)",
      6,
      2,
      cat([4], ascii("a"), [0xc0, 0xaf], ascii("b")),
    ),
    simple(
      "notif-cease-shutdown-truncated-utf8-sequence",
      "RFC 9003 §2, §4; RFC 3629 §3",
      "communication ending in the middle of a 3-octet UTF-8 sequence (e2 9c) → decodes, no shutdownCommunication (D17)",
      6,
      2,
      cat([3], ascii("a"), [0xe2, 0x9c]),
    ),
    simple(
      "notif-hold-timer-expired",
      "RFC 4271 §4.5, §6.5",
      "Hold Timer Expired 4/0, minimal 21-octet NOTIFICATION",
      4,
      0,
      [],
    ),
    simple(
      "notif-open-unsupported-version",
      "RFC 4271 §4.5, §6.2",
      "received 2/1 with data 0004",
      2,
      1,
      u16(4),
    ),
    simple(
      "notif-update-attribute-flags-error",
      "RFC 4271 §4.5, §6.3",
      "received 3/4 carrying the offending attribute as data",
      3,
      4,
      attr(F_OPT_TRANS, 1, [0]),
    ),
    simple(
      "notif-unknown-code",
      "RFC 4271 §4.5",
      "code 99 subcode 1 is not defined: it still decodes (an unknown code is reported, never thrown)",
      99,
      1,
      [1, 2, 3],
    ),
    simple(
      "notif-route-refresh-invalid-length",
      "RFC 7313 §5",
      "received 7/1 whose data is a whole ROUTE-REFRESH message",
      7,
      1,
      routeRefresh(1, 1, 1, [0]),
    ),
    simple(
      "notif-extended-message-4097",
      "RFC 8654 §4",
      "NOTIFICATION of 4097 octets with RFC 8654 negotiated: allowed for NOTIFICATION",
      3,
      1,
      fill(4097 - 21, 0xaa),
      {},
      { extendedMessage: true },
    ),
  );
  return v;
}

// =============================================================================================
// route-refresh.json — RFC 2918, RFC 7313
// =============================================================================================

function routeRefreshVectors(): Vector[] {
  const v: Vector[] = [];
  const rr = (afi: number, safi: number, subtype: number) => ({ type: "ROUTE-REFRESH", afi, safi, subtype });
  v.push(
    vec(
      "rr-valid-ipv4-unicast",
      "RFC 2918 §3",
      "plain route refresh request for IPv4 unicast (23 octets)",
      routeRefresh(1, 0, 1),
      { expect: rr(1, 1, 0) },
    ),
    vec(
      "rr-valid-ipv6-unicast",
      "RFC 2918 §3",
      "plain route refresh request for IPv6 unicast",
      routeRefresh(2, 0, 1),
      { expect: rr(2, 1, 0) },
    ),
    vec(
      "rr-valid-borr",
      "RFC 7313 §3, §4",
      "Beginning-of-RIB-Refresh (subtype 1) for IPv4 unicast",
      routeRefresh(1, 1, 1),
      { expect: rr(1, 1, 1) },
    ),
    vec(
      "rr-valid-eorr",
      "RFC 7313 §3, §4",
      "End-of-RIB-Refresh (subtype 2) for IPv6 unicast",
      routeRefresh(2, 2, 1),
      { expect: rr(2, 1, 2) },
    ),
    vec(
      "rr-unknown-subtype-3",
      "RFC 7313 §5",
      "subtype 3 is undefined: the message decodes and the session MUST ignore it (no error)",
      routeRefresh(1, 3, 1),
      { expect: rr(1, 1, 3) },
    ),
  );
  const bad = (id: string, rfc: string, source: string, msg: Bytes) =>
    vec(id, rfc, source, msg, { error: err(7, 1, msg), outcome: RESET });
  v.push(
    bad(
      "rr-borr-length-24",
      "RFC 7313 §5",
      "BoRR with a 5-octet body (length 24): subtypes 1 and 2 must have a 4-octet body → 7/1, data = the complete ROUTE-REFRESH message",
      routeRefresh(1, 1, 1, [0]),
    ),
    bad(
      "rr-eorr-length-27",
      "RFC 7313 §5",
      "EoRR with an 8-octet body → 7/1, data = the complete message",
      routeRefresh(2, 2, 1, [0, 0, 0, 0]),
    ),
    bad(
      "rr-borr-length-22",
      "RFC 7313 §5",
      "BoRR whose body is 3 octets (AFI, subtype 1, SAFI missing) → 7/1, data = the complete message",
      message(T_ROUTE_REFRESH, cat(u16(1), [1])),
    ),
    bad(
      "rr-request-length-22",
      "RFC 2918 §3; RFC 7313 §5",
      "subtype-0 request with a 3-octet body: too short to name an AFI/SAFI → 7/1 with the complete message (D16)",
      message(T_ROUTE_REFRESH, cat(u16(1), [0])),
    ),
    bad(
      "rr-request-length-19",
      "RFC 2918 §3; RFC 7313 §5",
      "ROUTE-REFRESH with an empty body → 7/1 with the complete message (D16)",
      message(T_ROUTE_REFRESH, []),
    ),
  );
  v.push(
    vec(
      "rr-length-4097-without-extended-message",
      "RFC 4271 §6.1; RFC 8654 §4",
      "ROUTE-REFRESH of 4097 octets without RFC 8654: the header check fires first → 1/2 with the length",
      routeRefresh(1, 0, 1, fill(4097 - 23)),
      { error: err(1, 2, u16(4097)), outcome: RESET },
    ),
  );
  return v;
}

// =============================================================================================
// valid-edge.json — messages that MUST decode cleanly and re-encode byte for byte
// =============================================================================================

function validEdgeVectors(): Vector[] {
  const v: Vector[] = [];
  const up = (o: Record<string, unknown>) => ({ type: "UPDATE", ...o });
  const ibgp: Context = { peerType: "ibgp" };
  const old: Context = { fourOctetAs: false };

  v.push(
    vec("edge-keepalive", "RFC 4271 §4.4", "KEEPALIVE: header only, 19 octets", keepalive(), {
      expect: { type: "KEEPALIVE" },
    }),
    vec(
      "edge-ipv4-end-of-rib",
      "RFC 4724 §2; RFC 4271 §4.3",
      "23-octet UPDATE with no withdrawals, no attributes and no NLRI: the IPv4 unicast End-of-RIB marker",
      update([]),
      {
        expect: up({ withdrawn: [], nlri: [], attributes: [], endOfRib: { afi: 1, safi: 1 } }),
      },
    ),
    vec(
      "edge-ipv6-end-of-rib",
      "RFC 4724 §2; RFC 4760 §4",
      "29-octet UPDATE holding only an empty MP_UNREACH_NLRI (AFI 2, SAFI 1): the IPv6 unicast End-of-RIB marker",
      update(MP_UNREACH(2, 1, [])),
      {
        expect: up({ withdrawn: [], nlri: [], attributes: [15], endOfRib: { afi: 2, safi: 1 } }),
      },
    ),
    vec(
      "edge-attributes-without-nlri",
      "RFC 4271 §6.3",
      "ORIGIN, AS_PATH, NEXT_HOP and no NLRI: 'correct path attributes, but no NLRI' is a valid UPDATE",
      update(BASE),
      {
        expect: up({ withdrawn: [], nlri: [], attributes: [1, 2, 3] }),
      },
    ),
    vec(
      "edge-withdraw-only",
      "RFC 4271 §4.3",
      "two IPv4 withdrawals, no attributes",
      update([], [], cat(NLRI, pfx4("203.0.113.7/32"))),
      {
        expect: up({ withdrawn: [NLRI_TEXT, "203.0.113.7/32"], nlri: [], attributes: [] }),
      },
    ),
    vec(
      "edge-ipv4-announce",
      "RFC 4271 §4.3, §5",
      "ORIGIN, AS_PATH [65001], NEXT_HOP, MED, COMMUNITIES and three IPv4 prefixes including 0.0.0.0/0 and a /32",
      update(
        cat(BASE, MED(0), COMMUNITIES(0xfde80001, 0xffffff01)),
        cat(NLRI, pfx4("0.0.0.0/0"), pfx4("203.0.113.7/32")),
      ),
      {
        expect: up({
          withdrawn: [],
          nlri: [NLRI_TEXT, "0.0.0.0/0", "203.0.113.7/32"],
          attributes: [1, 2, 3, 4, 8],
        }),
      },
    ),
  );

  const manyCommunities = Array.from({ length: 70 }, (_, i) => 0xfde80000 + i);
  v.push(
    vec(
      "edge-extended-length-communities-280",
      "RFC 4271 §4.3",
      "COMMUNITIES of 280 octets (70 values) with the Extended Length bit (flags 0xd0) and a 2-octet length",
      update(cat(BASE, attr(F_OPT_TRANS | F_EXT, 8, cat(...manyCommunities.map(u32)))), NLRI),
      {
        expect: up({ nlri: [NLRI_TEXT], attributes: [1, 2, 3, 8] }),
      },
    ),
    vec(
      "edge-unknown-optional-transitive",
      "RFC 4271 §5, §9",
      "unrecognised optional transitive attribute type 99 (flags 0xc0): accepted and kept; when propagated the Partial bit is set, which is a send-side matter, so re-encoding reproduces the received flags",
      update(cat(BASE, attr(F_OPT_TRANS, 99, [0xde, 0xad, 0xbe, 0xef])), NLRI),
      {
        expect: up({ nlri: [NLRI_TEXT], attributes: [1, 2, 3, 99] }),
      },
    ),
    vec(
      "edge-unknown-optional-transitive-partial",
      "RFC 4271 §4.3, §5",
      "unrecognised optional transitive attribute already carrying the Partial bit (flags 0xe0): valid",
      update(cat(BASE, attr(0xe0, 99, [1, 2])), NLRI),
      {
        expect: up({ nlri: [NLRI_TEXT], attributes: [1, 2, 3, 99] }),
      },
    ),
    vec(
      "edge-unknown-optional-non-transitive",
      "RFC 4271 §5, §9",
      "unrecognised optional non-transitive attribute type 99 (flags 0x80): quietly ignored (not propagated), not an error",
      update(cat(BASE, attr(F_OPTIONAL, 99, [7])), NLRI),
      {
        expect: up({ nlri: [NLRI_TEXT], attributes: [1, 2, 3, 99] }),
      },
    ),
    vec(
      "edge-ibgp-empty-as-path",
      "RFC 4271 §5.1.2, §5.1.5; RFC 7606 §4",
      "iBGP UPDATE with a zero-length AS_PATH (locally originated route) and LOCAL_PREF 100",
      update(cat(ORIGIN(0), AS_PATH(), NEXT_HOP(), LOCAL_PREF(100)), NLRI),
      {
        context: ibgp,
        expect: up({ nlri: [NLRI_TEXT], attributes: [1, 2, 3, 5] }),
      },
    ),
    vec(
      "edge-ibgp-route-reflector-attributes",
      "RFC 4456 §8",
      "iBGP UPDATE with ORIGINATOR_ID and a two-entry CLUSTER_LIST",
      update(
        cat(
          ORIGIN(0),
          AS_PATH(),
          NEXT_HOP(),
          LOCAL_PREF(100),
          ORIGINATOR_ID("192.0.2.7"),
          CLUSTER_LIST("192.0.2.8", "192.0.2.9"),
        ),
        NLRI,
      ),
      {
        context: ibgp,
        expect: up({ nlri: [NLRI_TEXT], attributes: [1, 2, 3, 5, 9, 10] }),
      },
    ),
    vec(
      "edge-atomic-aggregate-and-aggregator",
      "RFC 4271 §5.1.6, §5.1.7; RFC 6793 §4.1",
      "ATOMIC_AGGREGATE (length 0) and an 8-octet AGGREGATOR on a 4-octet-AS session",
      update(cat(BASE, ATOMIC_AGGREGATE(), AGGREGATOR(65001, "192.0.2.9")), NLRI),
      {
        expect: up({ nlri: [NLRI_TEXT], attributes: [1, 2, 3, 6, 7] }),
      },
    ),
    vec(
      "edge-old-speaker-as4-path",
      "RFC 6793 §4.2.3",
      "2-octet session: AS_PATH [AS_TRANS 23456] + AS4_PATH [4200000001], AGGREGATOR (AS_TRANS) + AS4_AGGREGATOR from an OLD speaker",
      update(
        cat(
          ORIGIN(0),
          AS_PATH2(23456),
          NEXT_HOP(),
          AGGREGATOR2(23456, "192.0.2.9"),
          AS4_PATH(4200000001),
          AS4_AGGREGATOR(4200000001, "192.0.2.9"),
        ),
        NLRI,
      ),
      {
        context: old,
        expect: up({ nlri: [NLRI_TEXT], attributes: [1, 2, 3, 7, 17, 18] }),
      },
    ),
    vec(
      "edge-large-communities-reserved-global-admin",
      "RFC 8092 §2, §6",
      "LARGE_COMMUNITY with two values, one whose Global Administrator is the reserved ASN 65535: a reserved ASN MUST NOT make the attribute malformed (duplicates are not vectored here, see DECISIONS.md D22)",
      update(cat(BASE, LARGE_COMMUNITIES([4200000000, 1, 2], [65535, 7, 8])), NLRI),
      {
        expect: up({ nlri: [NLRI_TEXT], attributes: [1, 2, 3, 32] }),
      },
    ),
    vec(
      "edge-ext-community-unknown-type",
      "RFC 4360 §2; RFC 7606 §7.14",
      "EXTENDED COMMUNITIES with a route target and an unrecognised type 0x3f/0xee: an unknown type MUST NOT be treated as an error",
      update(cat(BASE, EXT_COMMUNITIES(ROUTE_TARGET_65000_1, [0x3f, 0xee, 0, 0, 0, 0, 0, 1])), NLRI),
      {
        expect: up({ nlri: [NLRI_TEXT], attributes: [1, 2, 3, 16] }),
      },
    ),
    vec(
      "edge-ipv6-mp-reach-without-next-hop-attribute",
      "RFC 4760 §3; RFC 7606 §3(d)",
      "IPv6 route in MP_REACH_NLRI (16-octet next hop) with ORIGIN and AS_PATH and no NEXT_HOP attribute: NEXT_HOP is only needed for classic NLRI",
      update(cat(MP_REACH(2, 1, NH6, cat(NLRI6, pfx6("2001:db8::10/128"))), ORIGIN(0), AS_PATH(65001))),
      {
        expect: up({
          withdrawn: [],
          nlri: [],
          attributes: [14, 1, 2],
          mpReach: {
            afi: 2,
            safi: 1,
            nextHops: ["2001:db8::1"],
            nlri: ["2001:db8:1::/48", "2001:db8::10/128"],
          },
        }),
      },
    ),
    vec(
      "edge-ipv6-mp-reach-link-local-next-hop",
      "RFC 2545 §3; RFC 4760 §3",
      "IPv6 MP_REACH_NLRI with a 32-octet next hop: global 2001:db8::1 + link-local fe80::1",
      update(cat(MP_REACH(2, 1, cat(NH6, ip6("fe80::1")), NLRI6), ORIGIN(0), AS_PATH(65001))),
      {
        expect: up({
          attributes: [14, 1, 2],
          mpReach: { afi: 2, safi: 1, nextHops: ["2001:db8::1", "fe80::1"], nlri: ["2001:db8:1::/48"] },
        }),
      },
    ),
    vec(
      "edge-ipv6-mp-unreach-withdraw",
      "RFC 4760 §4",
      "MP_UNREACH_NLRI withdrawing two IPv6 prefixes, no other attributes",
      update(MP_UNREACH(2, 1, cat(NLRI6, pfx6("2001:db8::10/128")))),
      {
        expect: up({
          withdrawn: [],
          nlri: [],
          attributes: [15],
          mpUnreach: { afi: 2, safi: 1, withdrawn: ["2001:db8:1::/48", "2001:db8::10/128"] },
        }),
      },
    ),
    vec(
      "edge-update-length-4096",
      "RFC 4271 §4.1",
      "withdraw-only UPDATE of exactly 4096 octets without RFC 8654: the largest allowed",
      sizedWithdrawUpdate(4096),
      {
        expect: up({ nlri: [], attributes: [] }),
      },
    ),
    vec(
      "edge-update-length-4097-extended-message",
      "RFC 8654 §4",
      "the same 4097-octet withdraw-only UPDATE that header.json rejects, now with RFC 8654 negotiated",
      sizedWithdrawUpdate(4097),
      {
        context: { extendedMessage: true },
        expect: up({ nlri: [], attributes: [] }),
      },
    ),
    vec(
      "edge-update-length-65535-extended-message",
      "RFC 8654 §4",
      "withdraw-only UPDATE of 65535 octets (the Length field maximum) with RFC 8654 negotiated",
      sizedWithdrawUpdate(65535),
      {
        context: { extendedMessage: true },
        expect: up({ nlri: [], attributes: [] }),
      },
    ),
  );
  return v;
}

// =============================================================================================
// Self-checks and output
// =============================================================================================

function check(files: Record<string, VectorFile>): void {
  const seen = new Set<string>();
  for (const [name, f] of Object.entries(files)) {
    for (const vv of f.vectors) {
      if (seen.has(vv.id)) throw new Error(`duplicate id ${vv.id}`);
      seen.add(vv.id);
      if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(vv.id)) throw new Error(`id not kebab-case: ${vv.id}`);
      if (!/^([0-9a-f]{2})+$/.test(vv.hex)) throw new Error(`${vv.id}: bad hex`);
      if (!vv.rfc || !vv.source) throw new Error(`${vv.id}: rfc/source missing`);
      if (!vv.error && !vv.outcome && !vv.expect) throw new Error(`${vv.id}: nothing expected`);
      if (vv.outcome === "attribute-discard" && !vv.discarded?.length)
        throw new Error(`${vv.id}: discarded missing`);
      const octets = vv.hex.length / 2;
      const lenField = Number.parseInt(vv.hex.slice(32, 36), 16);
      if (!vv.error && !vv.outcome) {
        // Valid vectors: the header must be internally consistent.
        if (vv.hex.slice(0, 32) !== "f".repeat(32)) throw new Error(`${vv.id}: valid vector with bad marker`);
        if (lenField !== octets) throw new Error(`${vv.id}: length field ${lenField} != ${octets} octets`);
        const max = vv.context?.extendedMessage ? 65535 : 4096;
        if (octets > max) throw new Error(`${vv.id}: valid vector longer than ${max}`);
      }
      if (vv.error?.code === 1 && vv.error.subcode === 2 && vv.error.data !== vv.hex.slice(32, 36)) {
        throw new Error(`${vv.id}: 1/2 data must be the length field`);
      }
      if ((name === "header.json" || name === "open.json" || name === "route-refresh.json") && vv.error) {
        if (vv.outcome !== "session-reset") throw new Error(`${vv.id}: header/OPEN errors are session-reset`);
      }
      if (name === "update.json" && vv.outcome && !vv.error && vv.outcome !== "attribute-discard") {
        throw new Error(`${vv.id}: UPDATE error without classification`);
      }
    }
  }
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const outDir = join(here, "..", "bgp", "errors");
  const SRC =
    "hand-built from the RFC text by test/vectors/tools/make-error-vectors.ts (independent of protocol/ and src/); choices the RFCs leave open are in DECISIONS.md";
  const files: Record<string, VectorFile> = {
    "header.json": {
      description:
        "Message Header errors (RFC 4271 §6.1): marker, per-type length limits including RFC 8654, bad type",
      source: SRC,
      vectors: headerVectors(),
    },
    "open.json": {
      description:
        "OPEN messages (RFC 4271 §6.2, RFC 5492, RFC 6286, RFC 6793, RFC 7607, RFC 9072): every OPEN error subcode plus valid edge cases",
      source: SRC,
      vectors: openVectors(),
    },
    "update.json": {
      description:
        "UPDATE errors: the RFC 4271 §6.3 classification (`error`) and the RFC 7606 handling (`outcome`) for every §3 rule and every §7 attribute, plus RFC 6793, RFC 7607 and RFC 8092 cases",
      source: SRC,
      vectors: updateVectors(),
    },
    "notification.json": {
      description:
        "NOTIFICATION decoding, including RFC 8203/RFC 9003 shutdown communications that are valid, truncated or invalid UTF-8 (never an error)",
      source: SRC,
      vectors: notificationVectors(),
    },
    "route-refresh.json": {
      description:
        "ROUTE-REFRESH (RFC 2918) and enhanced route refresh (RFC 7313) decoding and length errors",
      source: SRC,
      vectors: routeRefreshVectors(),
    },
    "valid-edge.json": {
      description:
        "valid edge cases that must decode cleanly and re-encode byte for byte: End-of-RIB, attributes without NLRI, extended length, unknown attributes, empty iBGP AS_PATH, MP-BGP, RFC 8654 sizes",
      source: SRC,
      vectors: validEdgeVectors(),
    },
  };
  check(files);
  mkdirSync(outDir, { recursive: true });
  for (const [name, f] of Object.entries(files)) {
    writeFileSync(join(outDir, name), `${JSON.stringify(f, null, 2)}\n`);
    console.log(`${name}: ${f.vectors.length} vectors`);
  }
}

main();
