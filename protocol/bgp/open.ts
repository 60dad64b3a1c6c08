import { IpAddress } from "../ip/index.ts";
import type { Reader } from "../reader.ts";
import { err, ok, type Result } from "../result.ts";
import { type Capability, CapabilityCode, decodeCapabilities, encodeCapability } from "./capabilities.ts";
import { BGP_VERSION, HEADER_LENGTH, MessageType } from "./constants.ts";
import { type BgpError, bgpError, u16Bytes } from "./errors.ts";
import { writeHeader } from "./header.ts";
import { ErrorCode, OpenSubcode } from "./notification-codes.ts";
import { Writer } from "./writer.ts";

/** RFC 5492 §4: Optional Parameter type 2 carries capabilities. */
const PARAM_CAPABILITIES = 2;
/** RFC 9072 §2: Non-Ext OP Type 255 marks the extended optional parameters encoding. */
const PARAM_EXTENDED = 255;

/** OPEN (RFC 4271 §4.2). */
export interface OpenMessage {
  readonly type: "OPEN";
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real AS needs 4 octets). */
  readonly myAs: number;
  readonly holdTime: number;
  readonly bgpId: IpAddress;
  /** Capabilities Optional Parameters in wire order; each holds one or more capabilities. */
  readonly parameters: readonly (readonly Capability[])[];
  /** The parameters used the RFC 9072 extended-length encoding. */
  readonly extendedParameters?: boolean;
}

export function capabilitiesOf(open: OpenMessage): Capability[] {
  return open.parameters.flat();
}

function openError(subcode: number, reason: string, data?: Uint8Array): BgpError {
  return bgpError(ErrorCode.OpenMessage, subcode, reason, data);
}

/** Decodes an OPEN body; `body` is the message after the 19-octet header. */
export function decodeOpen(body: Reader): Result<OpenMessage, BgpError> {
  const version = body.u8()!;
  // RFC 4271 §6.2: data is the largest version we support, as 2 octets.
  if (version !== BGP_VERSION) {
    return err(openError(OpenSubcode.UnsupportedVersionNumber, `version ${version}`, u16Bytes(BGP_VERSION)));
  }
  const myAs = body.u16()!;
  const holdTime = body.u16()!;
  const bgpId = new IpAddress(4, body.u32()!);
  let paramLength = body.u8()!;
  let extendedParameters = false;
  // RFC 9072 §2: Non-Ext OP Len 255 followed by Non-Ext OP Type 255 → 2-octet lengths follow.
  if (paramLength === 255 && body.remaining > 0 && body.bytes[body.offset] === PARAM_EXTENDED) {
    body.u8();
    const ext = body.u16();
    if (ext === undefined)
      return err(openError(OpenSubcode.Unspecific, "truncated extended parameters length"));
    paramLength = ext;
    extendedParameters = true;
  }
  const params = body.sub(paramLength);
  if (params === undefined || body.remaining !== 0) {
    return err(
      openError(
        OpenSubcode.Unspecific,
        `optional parameters length ${paramLength} does not match the message`,
      ),
    );
  }
  const parameters: Capability[][] = [];
  while (params.remaining > 0) {
    const type = params.u8()!;
    const len = extendedParameters ? params.u16() : params.u8();
    const value = len === undefined ? undefined : params.sub(len);
    if (value === undefined)
      return err(openError(OpenSubcode.Unspecific, "optional parameter overruns the list"));
    if (type !== PARAM_CAPABILITIES) {
      // RFC 4271 §6.2 (and RFC 5492 §3 for type 1, deprecated authentication).
      return err(openError(OpenSubcode.UnsupportedOptionalParameter, `optional parameter type ${type}`));
    }
    const caps = decodeCapabilities(value);
    if (!caps.ok) return caps;
    parameters.push(caps.value);
  }
  // RFC 7607 §2: AS 0 as the peer's AS (in My AS, or in the 4-octet AS capability) is Bad Peer AS.
  const as4 = parameters.flat().find((c) => c.code === CapabilityCode.FourOctetAs && "asn" in c);
  if (myAs === 0 || (as4 !== undefined && "asn" in as4 && as4.asn === 0)) {
    return err(openError(OpenSubcode.BadPeerAs, "AS 0 (RFC 7607)"));
  }
  const open: OpenMessage = { type: "OPEN", version, myAs, holdTime, bgpId, parameters };
  return ok(extendedParameters ? { ...open, extendedParameters } : open);
}

function encodeParameters(m: OpenMessage, extended: boolean): Uint8Array {
  const w = new Writer(64);
  for (const caps of m.parameters) {
    w.u8(PARAM_CAPABILITIES);
    const at = w.reserve(extended ? 2 : 1);
    for (const c of caps) encodeCapability(w, c);
    w.patchLength(at, extended ? 2 : 1);
  }
  return w.finish();
}

/**
 * Encodes an OPEN. RFC 9072 §2: the extended encoding is used when asked for, or when the
 * parameters do not fit 1-octet lengths.
 */
export function encodeOpen(m: OpenMessage): Uint8Array {
  let extended = m.extendedParameters === true;
  let p = encodeParameters(m, extended);
  if (!extended && p.length > 255) {
    extended = true;
    p = encodeParameters(m, true);
  }
  const w = new Writer(HEADER_LENGTH + 13 + p.length);
  w.bytes(new Uint8Array(HEADER_LENGTH));
  w.u8(m.version).u16(m.myAs).u16(m.holdTime).u32(m.bgpId.w0);
  if (extended) w.u8(255).u8(PARAM_EXTENDED).u16(p.length);
  else w.u8(p.length);
  w.bytes(p);
  const out = w.finish();
  writeHeader(out, out.length, MessageType.OPEN);
  return out;
}
