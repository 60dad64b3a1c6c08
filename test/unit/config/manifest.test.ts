/** ConfigMap manifests: finding data.config and pointing errors at the manifest's lines. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, expectIssue, invalid, onlyError, valid, yaml } from "./helpers.ts";

const manifest = (config: string, header = "config: |") =>
  yaml`
    apiVersion: v1
    kind: ConfigMap
    metadata:
      namespace: metallb-system
      name: config
    data:
  ` +
  `  ${header}\n` +
  config
    .split("\n")
    .map((l) => (l === "" ? l : `    ${l}`))
    .join("\n");

describe("ConfigMap manifests", () => {
  it("positions inside a | block point into the manifest", () => {
    const text = manifest("address-pools:\n- name: a\n  protocol: layer2\n  addresses:\n  - 10.0.0.0/33\n");
    const e = onlyError(text, {
      path: "address-pools[0].addresses[0]",
      message: "10.0.0.0/33 is not a prefix",
    });
    assert.deepEqual({ line: e.line, column: e.column }, at(text, "10.0.0.0/33"));
    assert.equal(e.line, 12);
    assert.equal(e.column, 9);
  });

  it("block chomping indicators and blank lines inside the block keep the mapping", () => {
    const text = manifest(
      "peers: []\n\naddress-pools:\n- name: a\n  protocol: layer3\n  addresses: [10.0.0.0/30]\n",
      "config: |-",
    );
    const e = onlyError(text, { path: "address-pools[0].protocol", message: /not "layer3"/ });
    assert.deepEqual({ line: e.line, column: e.column }, at(text, "layer3"));
  });

  it("unknown keys and YAML errors inside data.config are mapped too", () => {
    const t1 = manifest("address-pool:\n- name: a\n");
    expectIssue(invalid(t1), {
      path: "address-pool",
      message: /did you mean "address-pools"/,
      ...at(t1, "address-pool:"),
    });
    const t2 = manifest("peers:\n- a: 1\n  a: 2\n");
    const e = invalid(t2)[0]!;
    assert.equal(e.path, "data.config");
    assert.match(e.message, /invalid YAML/);
    assert.equal(e.line, at(t2, "a: 2").line);
  });

  it("a quoted data.config string: positions fall back to the start of the string", () => {
    const text = yaml`
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: config}
      data:
        config: "address-pools:\\n- {name: a, protocol: bgp, addresses: [10.0.0.0/33]}\\n"
    `;
    onlyError(text, {
      path: "address-pools[0].addresses[0]",
      message: "10.0.0.0/33 is not a prefix",
      line: 5,
      column: 11,
    });
  });

  it("other data keys are warned about, not read", () => {
    const text = manifest("address-pools: [{name: a, protocol: layer2, addresses: [10.0.0.0/30]}]\n").replace(
      "\ndata:\n",
      "\ndata:\n  extra: hello\n",
    );
    const { warnings } = valid(text);
    expectIssue(warnings, {
      path: "data.extra",
      message: "ignored: only data.config is read",
      line: 7,
      column: 3,
    });
  });

  it("a ConfigMap without data.config", () => {
    onlyError("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config}\ndata:\n  other: x\n", {
      path: "data.config",
      message: "missing: MetalLB reads its configuration from data.config",
    });
    onlyError("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config}\n", {
      path: "data.config",
      message: "missing: MetalLB reads its configuration from data.config",
      line: 1,
    });
  });

  it("other kinds are not configs; a file with a Namespace and the ConfigMap works", () => {
    onlyError("apiVersion: v1\nkind: Secret\n", {
      path: "",
      message: "no ConfigMap found (kinds in the file: Secret)",
    });
    const text =
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: metallb-system}\n---\n" +
      manifest("address-pools:\n- name: a\n  protocol: layer2\n  addresses: [10.0.0.0/40]\n");
    const e = onlyError(text, {
      path: "address-pools[0].addresses[0]",
      message: "10.0.0.0/40 is not a prefix",
    });
    assert.deepEqual({ line: e.line, column: e.column }, at(text, "10.0.0.0/40"));
  });

  it("several bare documents are ambiguous", () => {
    onlyError("peers: []\n---\npeers: []\n", {
      path: "",
      message: "expected one YAML document, found several",
      line: 3,
    });
  });

  it("kind is checked even when data.config is valid", () => {
    const text = manifest("address-pools: [{name: a, protocol: layer2, addresses: [10.0.0.0/30]}]\n");
    assert.equal(valid(text).config.addressPools.length, 1);
  });
});
