/** Per-node Service events: told when the verdict changes, in words with the reason code. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REASON_TEXT, serviceEvents } from "../../../src/speaker/service-events.ts";

describe("serviceEvents", () => {
  const announced = { service: "apps/a", ips: ["192.0.2.1"], announced: true, reason: "announced" as const };
  const local = {
    service: "apps/a",
    ips: ["192.0.2.1"],
    announced: false,
    reason: "noLocalEndpoints" as const,
  };

  it("tells each verdict once, and again when it changes", () => {
    const first = serviceEvents("n1", new Map(), [announced]);
    assert.deepEqual(first.events, [
      {
        service: "apps/a",
        type: "Normal",
        reason: "Announced",
        message: "node n1 announces 192.0.2.1 over BGP",
      },
    ]);
    assert.deepEqual(serviceEvents("n1", first.told, [announced]).events, []);
    const changed = serviceEvents("n1", first.told, [local]);
    assert.equal(changed.events[0]?.reason, "NotAnnounced");
    assert.match(
      changed.events[0]!.message,
      /node n1 does not announce 192\.0\.2\.1: .*no ready endpoint.*\(noLocalEndpoints\)/,
    );
  });

  it("says nothing for Services without an IP or of another class, and forgets deleted ones", () => {
    const r = serviceEvents("n1", new Map([["apps/gone", "x"]]), [
      { service: "apps/b", ips: [], announced: false, reason: "noIngressIp" },
      { service: "apps/c", ips: ["192.0.2.2"], announced: false, reason: "otherClass" },
    ]);
    assert.deepEqual(r.events, []);
    assert.equal(r.told.size, 0);
  });

  it("has words for every reason", () => {
    for (const [k, v] of Object.entries(REASON_TEXT)) assert.ok(v.length > 10, k);
  });
});
