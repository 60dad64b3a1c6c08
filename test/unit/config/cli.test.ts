/** `signalbox config check FILE`, run as operators run it: exit codes, stdout and stderr. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const bin = new URL("../../../bin/signalbox", import.meta.url).pathname;
const fixture = (name: string) => new URL(`fixtures/${name}`, import.meta.url).pathname;

function run(args: string[], input?: string) {
  const r = spawnSync(bin, args, { encoding: "utf8", timeout: 30_000, input });
  assert.equal(r.error, undefined);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("signalbox config check", () => {
  const dir = mkdtempSync(join(tmpdir(), "signalbox-cli-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("valid manifest: exit 0, one summary line on stdout, warnings on stderr", () => {
    const r = run(["config", "check", fixture("metallb-example.yaml")]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      "config OK: 1 peer, 2 address pools (default: bgp, 256 addresses; l2-pool: layer2, 11 addresses), 1 community alias, 1 BFD profile; 2 warnings\n",
    );
    assert.deepEqual(r.stderr.trim().split("\n"), [
      "warning: peers[0].bfd-profile (line 18, col 7): BFD is not implemented yet: this session runs without BFD",
      "warning: bfd-profiles (line 48, col 5): BFD is not implemented yet: profiles are checked but not used",
    ]);
  });

  it("valid bare config without warnings: nothing on stderr", () => {
    const p = file(
      "bare.yaml",
      "peers:\n- {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2}\naddress-pools:\n- {name: v6, protocol: bgp, addresses: [2001:db8::/64], auto-assign: false}\n",
    );
    const r = run(["config", "check", p]);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, "config OK: 1 peer, 1 address pool (v6: bgp, 2^64 addresses, no auto-assign)\n");
    assert.equal(r.stderr, "");
  });

  it("invalid: exit 1, every error with path and position, nothing on stdout", () => {
    const r = run(["config", "check", fixture("invalid.yaml")]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.deepEqual(lines, [
      'error: peers[0].bfdProfile (line 5, col 5): unknown key "bfdProfile" (did you mean "bfd-profile"?)',
      "error: peers[0].hold-time (line 6, col 16): 1s is too short: must be 0 or at least 3s (RFC 4271 §4.2)",
      "error: address-pools[1].addresses[0] (line 14, col 9): 10.0.0.0/33 is not a prefix",
      'error: address-pools[1].addresses[1] (line 15, col 9): 10.0.0.128/25 in pool "b" overlaps 10.0.0.0/24 in pool "a" (address-pools[0].addresses[0])',
      "config invalid (" + fixture("invalid.yaml") + "): 4 errors",
    ]);
  });

  it("stdin with -", () => {
    const r = run(
      ["config", "check", "-"],
      "address-pools: [{name: a, protocol: layer2, addresses: [10.0.0.0/30]}]\n",
    );
    assert.equal(r.status, 0);
    assert.equal(r.stdout, "config OK: 0 peers, 1 address pool (a: layer2, 4 addresses)\n");
  });

  it("usage errors and unreadable files exit 2", () => {
    for (const args of [
      ["config"],
      ["config", "lint", "x"],
      ["config", "check"],
      ["config", "check", "a", "b"],
    ]) {
      const r = run(args);
      assert.equal(r.status, 2, args.join(" "));
      assert.match(r.stderr, /Usage: signalbox config check FILE/);
    }
    const missing = run(["config", "check", join(dir, "nope.yaml")]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read .*nope\.yaml: ENOENT/);
    assert.equal(run(["config", "check", dir]).status, 2);
  });

  it("--help exits 0", () => {
    const r = run(["config", "--help"]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Exit status: 0 valid/);
  });
});
