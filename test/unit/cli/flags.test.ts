/** `signalbox speaker` and `controller` reject bad flags with exit 2 and a message naming the flag, before starting anything. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../../bin/signalbox", import.meta.url));

function run(...args: string[]) {
  return spawnSync(BIN, ["speaker", ...args], { encoding: "utf8", timeout: 20_000 });
}

describe("signalbox speaker flags", () => {
  for (const [args, words] of [
    [["--layer2-interval", "5"], /--layer2-interval 5 is not a whole number of ms from 10 to 10000/],
    [["--layer2-hold", "150"], /--layer2-hold 150 must be whole ms, at least twice the interval/],
    [["--stop", "later"], /--stop is graceful or notify/],
    [["--status-address", "nowhere"], /--status-address nowhere is not HOST:PORT/],
    [["--log-level", "loud"], /unknown log level loud/],
  ] as const) {
    it(`${args.join(" ")} → exit 2`, () => {
      const r = run(...args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, words);
    });
  }
});

describe("signalbox controller flags", () => {
  for (const [args, words] of [
    [["--log-level", "loud"], /signalbox controller: unknown log level loud/],
    [["--status-address", "7472"], /--status-address 7472 is not HOST:PORT/],
    [["--leader"], /Unknown option '--leader'/],
  ] as const) {
    it(`${args.join(" ")} → exit 2`, () => {
      const r = spawnSync(BIN, ["controller", ...args], { encoding: "utf8", timeout: 20_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, words);
    });
  }
  it("--help → exit 0 with the options", () => {
    const r = spawnSync(BIN, ["controller", "--help"], { encoding: "utf8", timeout: 20_000 });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--leader-elect/);
  });
});
