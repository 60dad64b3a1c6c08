/**
 * Runs every BGP vector in test/vectors/bgp/**\/*.json (format: README.md beside this file):
 * decode, compare with the expected summary or error, and re-encode byte for byte.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import {
  type BgpError,
  type CodecContext,
  capabilitiesOf,
  decodeMessage,
  type ErrorHandling,
  encodeMessage,
  endOfRibOf,
  Framer,
  type Message,
  mpReachOf,
  mpUnreachOf,
  shutdownCommunicationOf,
  updateAction,
  validateOpen,
} from "../../protocol/bgp/index.ts";
import { IpAddress } from "../../protocol/ip/index.ts";

interface Vector {
  id: string;
  rfc: string;
  source: string;
  hex: string;
  context?: {
    fourOctetAs?: boolean;
    extendedMessage?: boolean;
    peerType?: "ebgp" | "ibgp";
    localAs?: number;
    peerAs?: number;
    localBgpId?: string;
    localHoldTime?: number;
  };
  expect?: Record<string, unknown>;
  error?: { code: number; subcode: number; data?: string };
  outcome?: ErrorHandling;
  discarded?: number[];
}

const root = join(import.meta.dirname, "bgp");

function* jsonFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* jsonFiles(p);
    else if (e.name.endsWith(".json")) yield p;
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

/** The vector-format summary of a decoded message (README.md "expect summaries"). */
export function summarize(m: Message): Record<string, unknown> {
  switch (m.type) {
    case "OPEN":
      return {
        type: "OPEN",
        version: m.version,
        myAs: m.myAs,
        holdTime: m.holdTime,
        bgpId: m.bgpId.toString(),
        capabilities: capabilitiesOf(m).map((c) => c.code),
      };
    case "UPDATE": {
      const s: Record<string, unknown> = {
        type: "UPDATE",
        withdrawn: m.withdrawn.map(String),
        nlri: m.nlri.map(String),
        attributes: m.attributes.map((a) => a.typeCode),
      };
      const reach = mpReachOf(m);
      if (reach)
        s.mpReach = {
          afi: reach.afi,
          safi: reach.safi,
          nextHops: reach.nextHops.map(String),
          nlri: reach.nlri.map(String),
        };
      const unreach = mpUnreachOf(m);
      if (unreach)
        s.mpUnreach = { afi: unreach.afi, safi: unreach.safi, withdrawn: unreach.withdrawn.map(String) };
      const eor = endOfRibOf(m);
      if (eor) s.endOfRib = eor;
      return s;
    }
    case "NOTIFICATION": {
      const s: Record<string, unknown> = {
        type: "NOTIFICATION",
        code: m.code,
        subcode: m.subcode,
        data: hex(m.data),
      };
      const text = shutdownCommunicationOf(m);
      if (text !== undefined) s.shutdownCommunication = text;
      return s;
    }
    case "KEEPALIVE":
      return { type: "KEEPALIVE" };
    case "ROUTE-REFRESH":
      return { type: "ROUTE-REFRESH", afi: m.afi, safi: m.safi, subtype: m.subtype };
  }
}

function contextOf(v: Vector): CodecContext {
  return {
    fourOctetAs: v.context?.fourOctetAs ?? true,
    extendedMessage: v.context?.extendedMessage ?? false,
    ibgp: v.context?.peerType === "ibgp",
  };
}

function assertError(v: Vector, e: BgpError): void {
  assert.ok(
    v.error !== undefined,
    `unexpected error ${e.reason} (${e.code}/${e.subcode} data ${hex(e.data)})`,
  );
  assert.deepEqual(
    { code: e.code, subcode: e.subcode },
    { code: v.error.code, subcode: v.error.subcode },
    e.reason,
  );
  if (v.error.data !== undefined) assert.equal(hex(e.data), v.error.data, `data of ${e.reason}`);
}

function check(v: Vector): void {
  const ctx = contextOf(v);
  const frame = bytes(v.hex);
  const r = decodeMessage(frame, ctx);
  if (!r.ok) {
    assert.ok(
      v.outcome === undefined || v.outcome === "session-reset",
      `got session reset, expected ${v.outcome}`,
    );
    assertError(v, r.error);
    return;
  }
  const m = r.value;
  if (m.type === "OPEN" && (v.context?.localAs !== undefined || v.context?.peerAs !== undefined)) {
    const valid = validateOpen(m, {
      localAs: v.context.localAs ?? 65000,
      peerAs: v.context.peerAs,
      localBgpId: IpAddress.of(v.context.localBgpId ?? "10.0.0.1"),
    });
    if (!valid.ok) {
      assertError(v, valid.error);
      return;
    }
  }
  if (m.type === "UPDATE" && m.problems !== undefined) {
    const action = updateAction(m)!;
    assert.equal(
      action,
      v.outcome,
      `outcome; problems: ${m.problems.map((p) => `${p.action} ${p.error.reason}`).join("; ")}`,
    );
    const deciding = m.problems.find((p) => p.action === action)!;
    // A disregarded attribute (e.g. LOCAL_PREF from eBGP) is discarded without an error.
    if (v.error !== undefined || deciding.error.subcode !== 0) assertError(v, deciding.error);
    if (v.discarded !== undefined) {
      const dropped = m.problems.filter((p) => p.action === "attribute-discard").map((p) => p.typeCode);
      assert.deepEqual(dropped, v.discarded);
    }
    return;
  }
  assert.equal(v.error, undefined, `expected error ${JSON.stringify(v.error)}, decoded cleanly`);
  assert.equal(v.outcome, undefined, `expected ${v.outcome}, decoded cleanly`);
  if (v.expect !== undefined) {
    const s = summarize(m);
    for (const [k, want] of Object.entries(v.expect)) assert.deepEqual(s[k], want, `expect.${k}`);
  }
  assert.equal(hex(encodeMessage(m, ctx)), v.hex, "re-encodes byte for byte");
  // The framer finds the same message in the stream.
  const batch = new Framer({ extendedMessage: ctx.extendedMessage }).push(frame);
  assert.equal(batch.error, undefined);
  assert.equal(batch.frames.length, 1);
}

const files = [...jsonFiles(root)].sort();

describe("BGP vectors", () => {
  test("the corpus is not empty", () => {
    assert.ok(files.length > 0, `no vector files under ${root}`);
  });
  const ids = new Set<string>();
  for (const f of files) {
    const doc = JSON.parse(readFileSync(f, "utf8")) as { vectors: Vector[] };
    describe(relative(root, f), () => {
      for (const v of doc.vectors) {
        test(v.id, () => {
          assert.ok(!ids.has(v.id), `duplicate id ${v.id}`);
          ids.add(v.id);
          check(v);
        });
      }
    });
  }
});
