import type { Prefix } from "../ip/index.ts";
import type { Reader } from "../reader.ts";
import { err, ok, type Result } from "../result.ts";
import {
  AttrFlag,
  AttrType,
  attributeInfo,
  decodeAttributeValue,
  encodeAttribute,
  type KnownTypeCode,
  type MpReachNlri,
  type MpUnreachNlri,
  type PathAttribute,
} from "./attributes.ts";
import { Afi, HEADER_LENGTH, MessageType, Safi } from "./constants.ts";
import type { CodecContext } from "./context.ts";
import { type BgpError, bgpError, type ErrorHandling, strongest, type UpdateProblem } from "./errors.ts";
import { writeHeader } from "./header.ts";
import { decodePrefixes, prefixWireLength, writeNlri } from "./nlri.ts";
import { ErrorCode, UpdateSubcode } from "./notification-codes.ts";
import { Writer } from "./writer.ts";

/** UPDATE (RFC 4271 §4.3). */
export interface UpdateMessage {
  readonly type: "UPDATE";
  /** IPv4 unicast prefixes withdrawn in the Withdrawn Routes field. */
  readonly withdrawn: readonly Prefix[];
  /** Path attributes in wire order (MP_REACH_NLRI / MP_UNREACH_NLRI included). */
  readonly attributes: readonly PathAttribute[];
  /** IPv4 unicast prefixes in the NLRI field. */
  readonly nlri: readonly Prefix[];
  /**
   * Problems found on receipt that did not reset the session (RFC 7606): discarded
   * attributes, or a treat-as-withdraw. Absent when the UPDATE was clean.
   */
  readonly problems?: readonly UpdateProblem[];
}

function updateError(subcode: number, reason: string, data?: Uint8Array): BgpError {
  return bgpError(ErrorCode.UpdateMessage, subcode, reason, data);
}

/** Decodes an UPDATE body (after the header), classifying every error per RFC 7606. */
export function decodeUpdate(body: Reader, ctx: CodecContext): Result<UpdateMessage, BgpError> {
  // RFC 4271 §6.3 / RFC 7606 §5.2: lengths that overrun the message leave no way to find
  // the NLRI, so the session is reset with Malformed Attribute List.
  const wrl = body.u16()!;
  const withdrawnR = body.sub(wrl);
  if (withdrawnR === undefined) {
    return err(
      updateError(
        UpdateSubcode.MalformedAttributeList,
        `withdrawn routes length ${wrl} overruns the message`,
      ),
    );
  }
  const tpal = body.u16();
  const attrsR = tpal === undefined ? undefined : body.sub(tpal);
  if (attrsR === undefined) {
    return err(
      updateError(
        UpdateSubcode.MalformedAttributeList,
        `total path attribute length ${tpal ?? "(missing)"} overruns the message`,
      ),
    );
  }
  const withdrawn: Prefix[] = [];
  // RFC 7606 §5.3: an NLRI syntax error resets the session.
  if (!decodePrefixes(withdrawnR.bytes, withdrawnR.offset, withdrawnR.end, 4, withdrawn)) {
    return err(updateError(UpdateSubcode.InvalidNetworkField, "malformed prefix in withdrawn routes"));
  }
  const nlri: Prefix[] = [];
  if (!decodePrefixes(body.bytes, body.offset, body.end, 4, nlri)) {
    return err(updateError(UpdateSubcode.InvalidNetworkField, "malformed prefix in NLRI"));
  }

  const problems: UpdateProblem[] = [];
  const attributes: PathAttribute[] = [];
  const seen = new Set<number>();
  /** Known attributes dropped as malformed: not reported again as missing. */
  const faulted = new Set<number>();
  const problem = (action: ErrorHandling, error: BgpError, typeCode?: number) =>
    problems.push(typeCode === undefined ? { action, error } : { action, error, typeCode });

  while (attrsR.remaining > 0) {
    const start = attrsR.offset;
    const flags = attrsR.u8()!;
    const typeCode = attrsR.u8();
    const extended = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    const len = typeCode === undefined ? undefined : extended ? attrsR.u16() : attrsR.u8();
    const value = len === undefined ? undefined : attrsR.sub(len);
    if (typeCode === undefined || value === undefined) {
      // RFC 7606 §4: an attribute that overruns Total Path Attribute Length (or too few
      // octets for an attribute header) is treat-as-withdraw; the NLRI is located by TPAL.
      problem(
        "treat-as-withdraw",
        updateError(UpdateSubcode.MalformedAttributeList, "path attribute overruns the attribute list"),
      );
      break;
    }
    const raw = attrsR.bytes.subarray(start, attrsR.offset);
    const info = attributeInfo(typeCode);

    if (seen.has(typeCode)) {
      // RFC 7606 §3 (g): duplicate MP_REACH/MP_UNREACH reset the session; other duplicates
      // are discarded after the first.
      if (typeCode === AttrType.MP_REACH_NLRI || typeCode === AttrType.MP_UNREACH_NLRI) {
        return err(updateError(UpdateSubcode.MalformedAttributeList, `duplicate ${info!.name}`));
      }
      problem(
        "attribute-discard",
        updateError(UpdateSubcode.MalformedAttributeList, `duplicate attribute ${typeCode}`),
        typeCode,
      );
      continue;
    }
    seen.add(typeCode);

    if (info === undefined) {
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        // RFC 4271 §6.3: an unrecognized well-known attribute.
        return err(
          updateError(
            UpdateSubcode.UnrecognizedWellKnownAttribute,
            `unknown well-known attribute ${typeCode}`,
            raw.slice(),
          ),
        );
      }
      // RFC 4271 §5: unrecognized optional attributes are kept (transitive ones passed on).
      attributes.push({ typeCode, flags, value: value.rest().slice(), unknown: true });
      continue;
    }

    // RFC 4271 §6.3 / RFC 7606 §3 (c): O and T bits must match the type, and a well-known
    // attribute has the Partial bit clear (RFC 4271 §4.3).
    const wellKnown = (info.flags & AttrFlag.OPTIONAL) === 0;
    if (
      (flags & (AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE)) !== info.flags ||
      (wellKnown && (flags & AttrFlag.PARTIAL) !== 0)
    ) {
      const action: ErrorHandling = info.onError;
      if (action === "session-reset") {
        return err(
          updateError(
            UpdateSubcode.AttributeFlagsError,
            `${info.name} flags 0x${flags.toString(16)}`,
            raw.slice(),
          ),
        );
      }
      problem(
        action,
        updateError(
          UpdateSubcode.AttributeFlagsError,
          `${info.name} flags 0x${flags.toString(16)}`,
          raw.slice(),
        ),
        typeCode,
      );
      faulted.add(typeCode);
      continue;
    }

    const decoded = decodeAttributeValue(typeCode as KnownTypeCode, flags, value, ctx);
    const disregard = disregarded(typeCode, ctx);
    if (disregard !== undefined) {
      // Discarded whether well-formed or not; a malformed one keeps its classification.
      const e =
        "subcode" in decoded
          ? updateError(decoded.subcode, decoded.reason, raw.slice())
          : updateError(0, `${info.name} disregarded: ${disregard}`, raw.slice());
      problem("attribute-discard", e, typeCode);
      continue;
    }
    if ("subcode" in decoded) {
      const action: ErrorHandling = info.onError;
      // Data is the erroneous attribute, except where RFC 4271 §6.3 says none (AS_PATH,
      // network field).
      const noData =
        decoded.subcode === UpdateSubcode.MalformedAsPath ||
        decoded.subcode === UpdateSubcode.InvalidNetworkField;
      const e = updateError(decoded.subcode, decoded.reason, noData ? undefined : raw.slice());
      // RFC 7606 §5.3: an NLRI syntax error in MP_REACH/MP_UNREACH resets the session.
      if (action === "session-reset" || decoded.subcode === UpdateSubcode.InvalidNetworkField) return err(e);
      problem(action, e, typeCode);
      faulted.add(typeCode);
      continue;
    }
    attributes.push(decoded);
  }

  // RFC 4271 §5 and RFC 4760 §3: ORIGIN and AS_PATH with any NLRI, NEXT_HOP with IPv4 NLRI
  // in the NLRI field. RFC 7606 §3 (d): a missing one is treat-as-withdraw. An attribute
  // dropped above as malformed already decided treat-as-withdraw, so it is not reported twice.
  const hasReach =
    nlri.length > 0 || attributes.some((a) => a.typeCode === AttrType.MP_REACH_NLRI && !("unknown" in a));
  if (hasReach) {
    // RFC 4271 §5.1.5: LOCAL_PREF is mandatory towards internal peers.
    const required = [
      AttrType.ORIGIN,
      AttrType.AS_PATH,
      ...(nlri.length > 0 ? [AttrType.NEXT_HOP] : []),
      ...(ctx.ibgp ? [AttrType.LOCAL_PREF] : []),
    ];
    for (const t of required) {
      if (!faulted.has(t) && !attributes.some((a) => a.typeCode === t)) {
        problem(
          "treat-as-withdraw",
          updateError(
            UpdateSubcode.MissingWellKnownAttribute,
            `missing ${attributeInfo(t)!.name}`,
            Uint8Array.of(t),
          ),
          t,
        );
      }
    }
  }
  const m: UpdateMessage = { type: "UPDATE", withdrawn, attributes, nlri };
  if (problems.length === 0) return ok(m);
  const handled = { ...m, problems };
  // RFC 7606 §5.2: with no reachable NLRI (no NLRI field, no MP_REACH_NLRI) there is nothing
  // to treat as withdrawn with confidence — the error may hide it — so the session is reset.
  if (!hasReach && updateAction(handled) !== "attribute-discard") {
    return err(problems.find((p) => p.action !== "attribute-discard")!.error);
  }
  return ok(handled);
}

/**
 * Attributes that are well-formed but must be ignored from this peer: LOCAL_PREF from an
 * external peer (RFC 4271 §5.1.5), ORIGINATOR_ID and CLUSTER_LIST from an external peer
 * (RFC 4456 §8: route reflection is internal), AS4_PATH / AS4_AGGREGATOR from a speaker that
 * negotiated 4-octet ASNs (RFC 6793 §3).
 */
function disregarded(typeCode: number, ctx: CodecContext): string | undefined {
  if (
    !ctx.ibgp &&
    (typeCode === AttrType.LOCAL_PREF ||
      typeCode === AttrType.ORIGINATOR_ID ||
      typeCode === AttrType.CLUSTER_LIST)
  ) {
    return "from an external peer";
  }
  if (ctx.fourOctetAs && (typeCode === AttrType.AS4_PATH || typeCode === AttrType.AS4_AGGREGATOR)) {
    return "from a 4-octet AS speaker (RFC 6793 §3)";
  }
  return undefined;
}

/** The RFC 7606 handling of an UPDATE: the strongest of its problems', or undefined when clean. */
export function updateAction(u: UpdateMessage): ErrorHandling | undefined {
  let a: ErrorHandling | undefined;
  for (const p of u.problems ?? []) a = a === undefined ? p.action : strongest(a, p.action);
  return a;
}

export function mpReachOf(u: UpdateMessage): MpReachNlri | undefined {
  return u.attributes.find(
    (a): a is MpReachNlri => a.typeCode === AttrType.MP_REACH_NLRI && !("unknown" in a),
  );
}

export function mpUnreachOf(u: UpdateMessage): MpUnreachNlri | undefined {
  return u.attributes.find(
    (a): a is MpUnreachNlri => a.typeCode === AttrType.MP_UNREACH_NLRI && !("unknown" in a),
  );
}

/**
 * End-of-RIB (RFC 4724 §2): an UPDATE with nothing in it is IPv4 unicast's; one holding only
 * an empty MP_UNREACH_NLRI is that family's. Returns the family, or undefined.
 */
export function endOfRibOf(u: UpdateMessage): { afi: number; safi: number } | undefined {
  if (u.withdrawn.length > 0 || u.nlri.length > 0) return undefined;
  if (u.attributes.length === 0) return { afi: Afi.IPV4, safi: Safi.UNICAST };
  const only = u.attributes[0]!;
  if (u.attributes.length === 1 && only.typeCode === AttrType.MP_UNREACH_NLRI) {
    if ("unknown" in only)
      return only.value.length === 3
        ? { afi: (only.value[0]! << 8) | only.value[1]!, safi: only.value[2]! }
        : undefined;
    if (only.withdrawn.length === 0) return { afi: only.afi, safi: only.safi };
  }
  return undefined;
}

/** Encodes an UPDATE. Throws RangeError if it exceeds the negotiated maximum (a bug in the caller). */
export function encodeUpdate(m: UpdateMessage, ctx: CodecContext): Uint8Array {
  let need = HEADER_LENGTH + 4;
  for (const p of m.withdrawn) need += prefixWireLength(p);
  for (const p of m.nlri) need += prefixWireLength(p);
  const w = new Writer(need + 64);
  w.length = HEADER_LENGTH;
  const wAt = w.reserve(2);
  writeNlri(w, m.withdrawn);
  w.patchLength(wAt, 2);
  const aAt = w.reserve(2);
  for (const a of m.attributes) encodeAttribute(w, a, ctx);
  w.patchLength(aAt, 2);
  writeNlri(w, m.nlri);
  const out = w.finish();
  const max = ctx.extendedMessage ? 65535 : 4096;
  if (out.length > max) throw new RangeError(`UPDATE of ${out.length} octets exceeds ${max}`);
  writeHeader(out, out.length, MessageType.UPDATE);
  return out;
}
