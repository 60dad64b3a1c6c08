/**
 * client-node makes a new undici Agent (a new TLS connection) per request; loadKubeConfig's
 * patch makes requests share one. If a client-node upgrade changes its internals, this fails
 * instead of silently bringing back a TLS handshake per request.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RequestContext } from "@kubernetes/client-node";
import { loadKubeConfig, shareConnections } from "../../../src/cluster/kubernetes/kubeconfig.ts";

// A throw-away self-signed CA; only its bytes matter here (no connection is made).
const CA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

function kubeconfig(): string {
  const dir = mkdtempSync(join(tmpdir(), "sbx-kc-"));
  const ca = join(dir, "ca.crt");
  writeFileSync(ca, CA);
  const file = join(dir, "kubeconfig");
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443", "certificate-authority": ca } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  return file;
}

async function dispatcherOf(kc: ReturnType<typeof loadKubeConfig>): Promise<unknown> {
  const ctx = new RequestContext("https://127.0.0.1:6443/api", "GET" as never);
  await kc.applySecurityAuthentication(ctx);
  return ctx.getDispatcher();
}

describe("loadKubeConfig", () => {
  it("client-node still has the method we patch", () => {
    assert.equal(shareConnections(loadKubeConfig(kubeconfig())), true);
  });

  it("two requests share one dispatcher (kept-alive connections), and a token is still sent", async () => {
    const kc = loadKubeConfig(kubeconfig());
    const a = await dispatcherOf(kc);
    const b = await dispatcherOf(kc);
    assert.ok(a !== undefined);
    assert.equal(a, b);
    const ctx = new RequestContext("https://127.0.0.1:6443/api", "GET" as never);
    await kc.applySecurityAuthentication(ctx);
    assert.equal(ctx.getHeaders()["Authorization"], "Bearer t");
  });
});
