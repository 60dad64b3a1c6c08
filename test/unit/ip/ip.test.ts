import assert from "node:assert/strict";
import { test } from "node:test";
import { IpAddress, Prefix } from "../../../protocol/ip/index.ts";

test("IpAddress: canonical text (RFC 5952) for IPv4 and IPv6", () => {
  const cases: [string, string][] = [
    ["192.0.2.1", "192.0.2.1"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
  ];
  for (const [input, canonical] of cases) assert.equal(IpAddress.of(input).toString(), canonical, input);
});

test("IpAddress: invalid text is undefined, never a throw", () => {
  for (const bad of [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "01.2.3.4",
    "1.2.3.4/32",
    "fe80::1%eth0",
    "2001:db8:::1",
    "x",
  ]) {
    assert.equal(IpAddress.parse(bad), undefined, bad);
  }
});

test("IpAddress: bytes and bigint round trips", () => {
  for (const t of [
    "10.1.2.3",
    "255.255.255.255",
    "2001:db8::ff00:42:8329",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
  ]) {
    const a = IpAddress.of(t);
    assert.ok(IpAddress.fromBytes(a.family, a.toBytes()).equals(a));
    assert.ok(IpAddress.fromBigInt(a.family, a.toBigInt()).equals(a));
  }
});

test("Prefix: normalised on construction, host bits rejected by parse unless allowed", () => {
  assert.equal(Prefix.parse("10.1.2.3/8"), undefined);
  assert.equal(Prefix.parse("10.1.2.3/8", true)?.toString(), "10.0.0.0/8");
  assert.equal(Prefix.parse("2001:db8:ffff::/33", true)?.toString(), "2001:db8:8000::/33");
  assert.equal(Prefix.parse("10.0.0.0/33"), undefined);
  assert.equal(Prefix.parse("::/129"), undefined);
  assert.ok(Prefix.from("10.0.0.0/8").contains(IpAddress.of("10.255.0.1")));
  assert.ok(!Prefix.from("10.0.0.0/8").contains(IpAddress.of("11.0.0.1")));
  assert.ok(Prefix.from("0.0.0.0/0").contains(IpAddress.of("1.2.3.4")));
});
