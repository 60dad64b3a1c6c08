/** The small pieces: Go durations, did-you-mean, selectors, integer syntax, counts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IpAddress } from "../../../protocol/ip/index.ts";
import { summarize as summarizeRange } from "../../../src/config/addresses.ts";
import { formatCount, parseCommunity, parseGoDuration, selectsNode } from "../../../src/config/index.ts";
import { goInt } from "../../../src/config/reader.ts";
import { closest, editDistance } from "../../../src/config/suggest.ts";

describe("Go durations", () => {
  const ns = (t: string) => {
    const d = parseGoDuration(t);
    return d.ok ? d.nanos : d.reason;
  };
  it("accepts what time.ParseDuration accepts", () => {
    assert.equal(ns("90s"), 90_000_000_000n);
    assert.equal(ns("1m30s"), 90_000_000_000n);
    assert.equal(ns("1.5h"), 5_400_000_000_000n);
    assert.equal(ns(".5s"), 500_000_000n);
    assert.equal(ns("1.s"), 1_000_000_000n);
    assert.equal(ns("300ms"), 300_000_000n);
    assert.equal(ns("1us"), 1000n);
    assert.equal(ns("1µs"), 1000n);
    assert.equal(ns("-2s"), -2_000_000_000n);
    assert.equal(ns("+3s"), 3_000_000_000n);
    assert.equal(ns("0"), 0n);
    assert.equal(ns("1h1m1s1ms1us1ns"), 3_661_001_001_001n);
  });
  it("rejects what it rejects", () => {
    for (const t of ["", "90", "s", ".s", "1d", "1 s", "1s ", "1e3s", "-", "9223372036854775808ns"])
      assert.equal(typeof ns(t), "string", t);
  });
});

describe("did you mean", () => {
  it("edit distance", () => {
    assert.equal(editDistance("kitten", "sitting"), 3);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("peers", "peers"), 0);
  });
  it("case and separators do not count; far keys get no suggestion", () => {
    assert.equal(closest("holdTime", ["hold-time", "keepalive-time"]), "hold-time");
    assert.equal(closest("my_asn", ["peer-asn", "my-asn"]), "my-asn");
    assert.equal(closest("adresses", ["addresses", "name"]), "addresses");
    assert.equal(closest("zzz", ["name"]), undefined);
    assert.equal(closest("colour", ["name", "protocol", "addresses"]), undefined);
  });
});

describe("node selectors match like Kubernetes label selectors", () => {
  const labels = new Map([
    ["rack", "a"],
    ["zone", "z1"],
  ]);
  const sel = (
    l: Record<string, string>,
    e: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values: string[] }[] = [],
  ) => ({
    matchLabels: new Map(Object.entries(l)),
    matchExpressions: e,
  });
  it("no selectors: every node; selectors are ORed, their parts ANDed", () => {
    assert.ok(selectsNode([], labels));
    assert.ok(selectsNode([sel({ rack: "b" }), sel({ rack: "a" })], labels));
    assert.ok(!selectsNode([sel({ rack: "a", zone: "z2" })], labels));
  });
  it("operators", () => {
    const one = (operator: "In" | "NotIn" | "Exists" | "DoesNotExist", key: string, values: string[] = []) =>
      selectsNode([sel({}, [{ key, operator, values }])], labels);
    assert.ok(one("In", "rack", ["a", "b"]));
    assert.ok(!one("In", "missing", ["a"]));
    assert.ok(one("NotIn", "rack", ["b"]));
    assert.ok(one("NotIn", "missing", ["b"]));
    assert.ok(!one("NotIn", "rack", ["a"]));
    assert.ok(one("Exists", "zone"));
    assert.ok(!one("Exists", "missing"));
    assert.ok(one("DoesNotExist", "missing"));
    assert.ok(!one("DoesNotExist", "zone"));
  });
});

describe("integers as go-yaml v2 reads them", () => {
  it("decimal, hex, octal, binary, underscores, signs", () => {
    assert.equal(goInt("64500"), 64500n);
    assert.equal(goInt("0x1F"), 31n);
    assert.equal(goInt("017"), 15n);
    assert.equal(goInt("0o17"), 15n);
    assert.equal(goInt("0b101"), 5n);
    assert.equal(goInt("1_000"), 1000n);
    assert.equal(goInt("-5"), -5n);
    assert.equal(goInt("0"), 0n);
    for (const t of ["1.5", "abc", "08", "", "0x"]) assert.equal(goInt(t), undefined, t);
  });
});

describe("communities", () => {
  it("standard and large", () => {
    assert.deepEqual(parseCommunity("65535:65282"), {
      ok: true,
      value: { kind: "standard", value: 0xffffff02 },
    });
    assert.deepEqual(parseCommunity("large:1:2:3"), {
      ok: true,
      value: { kind: "large", global: 1, local1: 2, local2: 3 },
    });
    for (const t of ["1", "1:", ":1", "-1:1", "1:2:3", "large:1:2:4294967296", "a:b"])
      assert.equal(parseCommunity(t).ok, false, t);
  });
});

describe("counts and range summaries", () => {
  it("formatCount", () => {
    assert.equal(formatCount(256n), "256");
    assert.equal(formatCount(1n << 64n), "2^64");
    assert.equal(formatCount(3_000_000n), "~3.0e6");
  });
  it("summarises a range into the fewest CIDRs", () => {
    const s = (a: string, b: string) => summarizeRange(IpAddress.of(a), IpAddress.of(b)).map(String);
    assert.deepEqual(s("10.0.0.10", "10.0.0.50"), [
      "10.0.0.10/31",
      "10.0.0.12/30",
      "10.0.0.16/28",
      "10.0.0.32/28",
      "10.0.0.48/31",
      "10.0.0.50/32",
    ]);
    assert.deepEqual(s("0.0.0.0", "255.255.255.255"), ["0.0.0.0/0"]);
    assert.deepEqual(s("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), ["::/0"]);
  });
});
