/** What the OPEN exchange negotiated that changes how bytes are read and written (DESIGN.md `ctx`). */
export interface CodecContext {
  /** RFC 6793: AS_PATH and AGGREGATOR carry 4-octet ASNs. */
  readonly fourOctetAs: boolean;
  /** RFC 8654: UPDATE, NOTIFICATION and ROUTE-REFRESH may reach 65535 octets. */
  readonly extendedMessage: boolean;
  /** The peer is in our AS: LOCAL_PREF is honoured (RFC 4271 §5.1.5, RFC 7606 §7.5). */
  readonly ibgp: boolean;
}

export const DEFAULT_CONTEXT: CodecContext = { fourOctetAs: true, extendedMessage: false, ibgp: false };
