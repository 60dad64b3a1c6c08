/**
 * `peers`: MetalLB v0.12.1 `parsePeer`, with its defaults (port 179, hold time 90s, keepalive
 * hold/3, every node) and rules (hold time 0 or ≥ 3s, keepalive ≤ hold, ebgp-multihop only for
 * eBGP, BFD profile must exist, identical peers rejected).
 */
import type { Node } from "yaml";
import { IpAddress } from "../../protocol/ip/index.ts";
import { formatSeconds, parseGoDuration, truncateToSeconds } from "./duration.ts";
import { indexPath, keyPath, quote } from "./issues.ts";
import type { Fields, Reader } from "./reader.ts";
import { Secret } from "./secret.ts";
import {
  labelKeyProblem,
  labelValueProblem,
  type NodeSelector,
  type SelectorOperator,
  type SelectorRequirement,
  selectorOperators,
} from "./selector.ts";
import { closest } from "./suggest.ts";
import type { Peer } from "./types.ts";

export const peerKeys = [
  "peer-address",
  "peer-asn",
  "my-asn",
  "peer-port",
  "source-address",
  "hold-time",
  "keepalive-time",
  "router-id",
  "password",
  "bfd-profile",
  "ebgp-multihop",
  "node-selectors",
  "vrf",
  // signalbox additions (README.md "Additions"):
  "graceful-restart",
  "graceful-restart-time",
  "passive",
  "next-hop-v4",
  "next-hop-v6",
  "ttl-security",
] as const;

/**
 * Fields accepted from MetalLB that signalbox does not act on yet: each use is a warning, so
 * nothing is silently ignored. Remove an entry when the feature lands.
 */
export const notYetApplied: Readonly<Record<string, string>> = {
  "bfd-profile": "BFD is not implemented yet: this session runs without BFD",
  vrf: "VRFs are not supported yet: this session uses the default VRF",
};

const maxAsn = 4294967295;
// Linux TCP_MD5SIG_MAXKEYLEN: longer keys are refused by setsockopt (RFC 2385 sets no limit).
const maxPasswordBytes = 80;

function address(r: Reader, f: Fields, key: string): IpAddress | undefined {
  const text = r.string(f, key);
  if (text === undefined) return undefined;
  const a = IpAddress.parse(text);
  if (a === undefined)
    r.error(keyPath(f.path, key), `${quote(text)} is not an IP address`, f.byKey.get(key)?.value);
  return a;
}

/** Seconds, or undefined (reported) when not a Go duration. */
function duration(r: Reader, f: Fields, key: string): { nanos: bigint; node: Node | null } | undefined {
  const text = r.string(f, key);
  if (text === undefined) return undefined;
  const node = f.byKey.get(key)?.value ?? null;
  const d = parseGoDuration(text);
  if (!d.ok) {
    r.error(keyPath(f.path, key), `${quote(text)} is not a duration (${d.reason}; e.g. 90s or 1m30s)`, node);
    return undefined;
  }
  return { nanos: d.nanos, node };
}

export function readPeers(
  r: Reader,
  items: readonly (Node | null)[],
  path: string,
  where: Node,
  bfdProfiles: ReadonlySet<string> | undefined,
): Peer[] {
  const out: { peer: Peer; index: number; key: string }[] = [];
  items.forEach((item, i) => {
    const p = indexPath(path, i);
    if (item === null) {
      r.error(p, "must be a mapping, not empty", where);
      return;
    }
    const f = r.object(item, p, peerKeys);
    if (f === undefined) return;
    const before = r.errors.length;
    const field = (k: string) => f.byKey.get(k);
    for (const k of Object.keys(notYetApplied)) {
      if (field(k)?.value != null) r.warn(keyPath(p, k), notYetApplied[k]!, field(k)!.key);
    }

    for (const k of ["peer-address", "peer-asn", "my-asn"]) r.require(f, k);
    const peerAddress = address(r, f, "peer-address");
    const peerAsn = r.int(f, "peer-asn", 1, maxAsn);
    const myAsn = r.int(f, "my-asn", 1, maxAsn);
    // MetalLB: a zero port is "not set".
    const port = r.int(f, "peer-port", 0, 65535);
    const peerPort = port === undefined || port === 0 ? 179 : port;
    const sourceAddress = address(r, f, "source-address");

    // Hold time: MetalLB truncates to whole seconds, then requires 0 or ≥ 3 s (RFC 4271 §4.2).
    let holdTime = 90;
    let holdValid = true;
    const hold = duration(r, f, "hold-time");
    if (hold !== undefined) {
      const secs = truncateToSeconds(hold.nanos);
      const hp = keyPath(p, "hold-time");
      if (secs !== 0 && secs < 3) {
        r.error(
          hp,
          `${formatSeconds(secs)} is too short: must be 0 or at least 3s (RFC 4271 §4.2)`,
          hold.node,
        );
        holdValid = false;
      } else if (secs > 65535) {
        r.error(
          hp,
          `${formatSeconds(secs)} is too long: at most 65535s (16 bits in OPEN, RFC 4271 §4.2)`,
          hold.node,
        );
        holdValid = false;
      } else {
        holdTime = secs;
        if (hold.nanos !== BigInt(secs) * 1_000_000_000n) {
          const zero = secs === 0 ? ", which disables the hold timer and keepalives" : "";
          r.warn(
            hp,
            `truncated to whole seconds: ${formatSeconds(secs)}${zero} (as MetalLB does)`,
            hold.node,
          );
        }
      }
    }
    if (!holdValid) holdTime = Number.NaN;

    let keepaliveTime = holdTime / 3;
    const keep = duration(r, f, "keepalive-time");
    if (keep !== undefined) {
      const kp = keyPath(p, "keepalive-time");
      const secs = Number(keep.nanos) / 1e9;
      if (secs < 0) {
        r.error(kp, "must not be negative", keep.node);
      } else if (holdValid && secs > holdTime) {
        r.error(kp, `${formatSeconds(secs)} is longer than hold-time ${formatSeconds(holdTime)}`, keep.node);
      } else {
        keepaliveTime = secs;
      }
    }

    const routerId = address(r, f, "router-id");
    if (routerId !== undefined) {
      const rp = keyPath(p, "router-id");
      const node = field("router-id")?.value;
      if (routerId.family !== 4)
        r.error(
          rp,
          `${routerId} is not an IPv4 address: the BGP identifier is 32 bits (RFC 4271 §4.2)`,
          node,
        );
      else if (routerId.w0 === 0) r.error(rp, "0.0.0.0 is not a valid BGP identifier (RFC 6286 §2.1)", node);
    }

    // Never echo the password: messages name the field only.
    const passwordText = r.string(f, "password");
    const password = passwordText === undefined || passwordText === "" ? undefined : new Secret(passwordText);
    if (password !== undefined && password.byteLength > maxPasswordBytes) {
      r.error(
        keyPath(p, "password"),
        `is ${password.byteLength} bytes long; a TCP MD5 key is at most ${maxPasswordBytes} bytes (Linux TCP_MD5SIG_MAXKEYLEN)`,
        field("password")?.value,
      );
    }

    const bfdProfile = r.string(f, "bfd-profile") || undefined;
    if (bfdProfile !== undefined && bfdProfiles !== undefined && !bfdProfiles.has(bfdProfile)) {
      const hint = closest(bfdProfile, [...bfdProfiles]);
      r.error(
        keyPath(p, "bfd-profile"),
        `BFD profile ${quote(bfdProfile)} is not defined in bfd-profiles${hint === undefined ? "" : ` (did you mean ${JSON.stringify(hint)}?)`}`,
        field("bfd-profile")?.value,
      );
    }

    const ebgpMultihop = r.bool(f, "ebgp-multihop") ?? false;
    // RFC 5082 §3: GTSM with TTL 255 only for a directly connected peer; multihop contradicts it.
    const ttlSecurity = r.bool(f, "ttl-security") ?? false;
    if (ttlSecurity && ebgpMultihop)
      r.error(
        keyPath(p, "ttl-security"),
        "cannot be combined with ebgp-multihop: TTL security (RFC 5082) accepts only directly connected peers",
        field("ttl-security")?.value,
      );
    if (ebgpMultihop && peerAsn !== undefined && peerAsn === myAsn) {
      r.error(
        keyPath(p, "ebgp-multihop"),
        `is only for eBGP peers, and this peer is iBGP (peer-asn = my-asn = ${peerAsn})`,
        field("ebgp-multihop")?.value,
      );
    }
    const vrf = r.string(f, "vrf") || undefined;
    const nodeSelectors = readNodeSelectors(r, f);

    // RFC 4724 restarting-speaker role: off by default, as MetalLB's enableGracefulRestart.
    const gracefulRestart = r.bool(f, "graceful-restart") ?? false;
    let gracefulRestartTime = 120;
    const grTime = duration(r, f, "graceful-restart-time");
    if (grTime !== undefined) {
      const secs = truncateToSeconds(grTime.nanos);
      // RFC 4724 §3: Restart Time is 12 bits.
      if (secs < 1 || secs > 4095)
        r.error(
          keyPath(p, "graceful-restart-time"),
          "must be between 1s and 4095s (12 bits, RFC 4724 §3)",
          grTime.node,
        );
      else gracefulRestartTime = secs;
    }
    const passive = r.bool(f, "passive") ?? false;
    const nextHopV4 = address(r, f, "next-hop-v4");
    if (nextHopV4 !== undefined && nextHopV4.family !== 4)
      r.error(keyPath(p, "next-hop-v4"), `${nextHopV4} is not an IPv4 address`, field("next-hop-v4")?.value);
    const nextHopV6 = address(r, f, "next-hop-v6");
    if (nextHopV6 !== undefined && nextHopV6.family !== 6)
      r.error(keyPath(p, "next-hop-v6"), `${nextHopV6} is not an IPv6 address`, field("next-hop-v6")?.value);

    if (
      r.errors.length !== before ||
      peerAddress === undefined ||
      peerAsn === undefined ||
      myAsn === undefined
    )
      return;
    const peer: Peer = {
      peerAddress,
      peerAsn,
      myAsn,
      peerPort,
      sourceAddress,
      holdTime,
      keepaliveTime,
      routerId,
      password,
      bfdProfile,
      ebgpMultihop,
      vrf,
      nodeSelectors,
      gracefulRestart,
      gracefulRestartTime,
      passive,
      nextHopV4,
      nextHopV6,
      ttlSecurity,
    };
    // MetalLB rejects a peer identical to an earlier one (after defaults).
    const key = peerKey(peer);
    const twin = out.find((o) => o.key === key && samePassword(o.peer, peer));
    if (twin !== undefined) {
      r.error(p, `duplicate of peers[${twin.index}]: identical peers are rejected`, item);
      return;
    }
    out.push({ peer, index: i, key });
  });
  return out.map((o) => o.peer);
}

function samePassword(a: Peer, b: Peer): boolean {
  if (a.password === undefined || b.password === undefined) return a.password === b.password;
  return a.password.equals(b.password);
}

/** Everything but the password, canonically (the password is compared separately, never printed). */
function peerKey(p: Peer): string {
  return JSON.stringify({
    ...p,
    peerAddress: p.peerAddress.toString(),
    sourceAddress: p.sourceAddress?.toString(),
    routerId: p.routerId?.toString(),
    password: undefined,
    nodeSelectors: p.nodeSelectors.map((s) => ({
      l: [...s.matchLabels].sort(),
      e: s.matchExpressions,
    })),
  });
}

function readNodeSelectors(r: Reader, peer: Fields): NodeSelector[] {
  const list = r.list(peer, "node-selectors");
  if (list === undefined) return [];
  const out: NodeSelector[] = [];
  list.items.forEach((item, i) => {
    const p = indexPath(list.field.path, i);
    if (item === null) {
      // An empty selector selects every node (MetalLB: labels.Everything()).
      out.push({ matchLabels: new Map(), matchExpressions: [] });
      return;
    }
    const f = r.object(item, p, ["match-labels", "match-expressions"]);
    if (f === undefined) return;
    const matchLabels = new Map<string, string>();
    for (const l of r.stringMap(f, "match-labels")) {
      const kp = labelKeyProblem(l.key);
      if (kp !== undefined) r.error(l.path, `${quote(l.key)} is not a valid label key: ${kp}`, l.keyNode);
      const vp = labelValueProblem(l.value);
      if (vp !== undefined)
        r.error(l.path, `${quote(l.value)} is not a valid label value: ${vp}`, l.valueNode);
      matchLabels.set(l.key, l.value);
    }
    const matchExpressions: SelectorRequirement[] = [];
    const exprs = r.list(f, "match-expressions");
    exprs?.items.forEach((e, j) => {
      const ep = indexPath(exprs.field.path, j);
      if (e === null) {
        r.error(ep, "must be a mapping, not empty", exprs.field.value);
        return;
      }
      const ef = r.object(e, ep, ["key", "operator", "values"]);
      if (ef === undefined) return;
      r.require(ef, "key");
      r.require(ef, "operator");
      const key = r.string(ef, "key");
      if (key !== undefined) {
        const kp = labelKeyProblem(key);
        if (kp !== undefined)
          r.error(`${ep}.key`, `${quote(key)} is not a valid label key: ${kp}`, ef.byKey.get("key")?.value);
      }
      const opText = r.string(ef, "operator");
      let operator: SelectorOperator | undefined;
      if (opText !== undefined) {
        operator = selectorOperators.find((o) => o === opText);
        if (operator === undefined) {
          const hint = closest(opText, selectorOperators);
          r.error(
            `${ep}.operator`,
            `${quote(opText)} is not an operator: In, NotIn, Exists or DoesNotExist${hint === undefined ? "" : ` (did you mean ${JSON.stringify(hint)}?)`}`,
            ef.byKey.get("operator")?.value,
          );
        }
      }
      const values: string[] = [];
      const vs = r.list(ef, "values");
      vs?.items.forEach((v, k) => {
        const vp = indexPath(vs.field.path, k);
        const text = r.itemString(v, vp, vs.field.value!);
        if (text === undefined) return;
        const problem = labelValueProblem(text);
        if (problem !== undefined) r.error(vp, `${quote(text)} is not a valid label value: ${problem}`, v);
        values.push(text);
      });
      const where = ef.byKey.get("values")?.key ?? ef.byKey.get("operator")?.value ?? e;
      if ((operator === "In" || operator === "NotIn") && values.length === 0)
        r.error(`${ep}.values`, `must list at least one value for operator ${operator}`, where);
      if ((operator === "Exists" || operator === "DoesNotExist") && values.length > 0)
        r.error(`${ep}.values`, `must be empty for operator ${operator}`, where);
      if (key !== undefined && operator !== undefined) matchExpressions.push({ key, operator, values });
    });
    out.push({ matchLabels, matchExpressions });
  });
  return out;
}
