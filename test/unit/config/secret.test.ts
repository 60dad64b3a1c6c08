/** Passwords are secrets: no error, warning, summary, JSON or inspect output ever shows one. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { inspect } from "node:util";
import { describePeers, formatIssue, parseConfig, Secret, summarize } from "../../../src/config/index.ts";

const secret = "Tr0ub4dor-S3cret";
const peer = (password: string, extra = "") =>
  `peers:\n- peer-address: 10.0.0.1\n  peer-asn: 64501\n  my-asn: 64500\n  password: ${password}\n${extra}`;
const pools = "address-pools:\n- {name: a, protocol: bgp, addresses: [10.0.0.0/24]}\n";

/** Configs with the secret in every position we could think of, valid and broken. */
const cases: Record<string, string> = {
  valid: peer(secret) + pools,
  "valid, quoted": peer(`"${secret}"`) + pools,
  "too long": peer(secret.repeat(6)) + pools,
  "as a list": peer(`[${secret}]`) + pools,
  "as a mapping": peer(`{a: ${secret}}`) + pools,
  "with other errors": peer(secret, "  hold-time: 1s\n  bfdProfile: x\n") + pools,
  "duplicate peer": `${peer(secret)}- {peer-address: 10.0.0.1, peer-asn: 64501, my-asn: 64500, password: ${secret}}\n${pools}`,
  "unclosed quote": peer(`"${secret}`) + pools,
  "bad indentation": `peers:\n- peer-address: 10.0.0.1\n password: ${secret}\n${pools}`,
  "nested mapping": peer(`${secret}: x: y`) + pools,
  "flow garbage": peer(`${secret} ] }`) + pools,
  "bad escape": peer(`"\\q${secret}"`) + pools,
  "unknown tag": peer(`!${secret} x`) + pools,
  "misspelt key": `peers:\n- {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, pasword: ${secret}}\n${pools}`,
  "in a manifest": `apiVersion: v1\nkind: ConfigMap\ndata:\n  config: |\n    peers:\n    - password: ${secret}\n      peer-address: x\n`,
  "in a quoted manifest": `apiVersion: v1\nkind: ConfigMap\ndata:\n  config: "peers: [{password: ${secret}, a: \\"]"\n`,
};

function everything(text: string): string {
  const r = parseConfig(text);
  const out = [JSON.stringify(r), inspect(r, { depth: Number.POSITIVE_INFINITY })];
  out.push(...r.warnings.map(formatIssue));
  if (r.ok)
    out.push(
      summarize(r.config, r.warnings),
      ...describePeers(r.config),
      String(r.config.peers[0]?.password),
    );
  else out.push(...r.errors.map(formatIssue));
  return out.join("\n");
}

describe("passwords never leak", () => {
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      assert.ok(text.includes(secret));
      assert.ok(!everything(text).includes(secret), everything(text));
    });
  }

  it("the unclosed-quote case is still reported, with a position", () => {
    const r = parseConfig(cases["unclosed quote"]!);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.errors.every((e) => e.line !== undefined));
  });

  it("the value is still there for the code that needs it", () => {
    const r = parseConfig(cases.valid!);
    assert.ok(r.ok);
    assert.equal(r.config.peers[0]?.password?.reveal(), secret);
  });

  it("Secret prints as <redacted> in every form", () => {
    const s = new Secret(secret);
    for (const text of [`${s}`, String(s), JSON.stringify({ s }), inspect(s), inspect({ s }, { depth: 5 })])
      assert.ok(!text.includes(secret) && text.includes("redacted"), text);
  });

  const dir = mkdtempSync(join(tmpdir(), "signalbox-secret-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ["valid", "too long", "bad indentation", "with other errors"]) {
    it(`signalbox config check does not print it (${name})`, () => {
      const file = join(dir, `${name.replace(/\W/g, "-")}.yaml`);
      writeFileSync(file, cases[name]!);
      const bin = new URL("../../../bin/signalbox", import.meta.url).pathname;
      const r = spawnSync(bin, ["config", "check", file], { encoding: "utf8", timeout: 30_000 });
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), r.stdout + r.stderr);
    });
  }
});
