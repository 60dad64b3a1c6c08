/** Reading manifest files and assembling snapshots (pure parts of the file source). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  assemble,
  isManifestName,
  type ManifestObject,
  readManifestFile,
} from "../../../src/cluster/file/index.ts";
import { parseConfig } from "../../../src/config/index.ts";

function objects(file: string, text: string): readonly ManifestObject[] {
  const r = readManifestFile(file, text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.objects;
}

const configMap = (name: string, ns = "metallb-system", body = "address-pools: []") =>
  `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: ${ns}
data:
  config: |
    ${body}
`;

describe("readManifestFile", () => {
  it("reads multi-document YAML; ignores kinds it does not hold and empty documents", () => {
    const text = `---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: LoadBalancer}
---
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {rack: a}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
endpoints: [{addresses: [10.244.0.1], nodeName: n1}]
`;
    assert.deepEqual(
      objects("a.yaml", text).map((o) => o.kind),
      ["Service", "Node", "EndpointSlice"],
    );
  });

  it("reads kind: List and typed lists (whose items have no kind), in YAML or JSON", () => {
    const list = `{"apiVersion":"v1","kind":"List","items":[
      {"kind":"Service","metadata":{"name":"a"}},
      {"kind":"Node","metadata":{"name":"n1"}}]}`;
    assert.deepEqual(
      objects("l.json", list).map((o) => o.kind),
      ["Service", "Node"],
    );
    const typed = `kind: ServiceList\napiVersion: v1\nitems:\n- metadata: {name: a}\n- metadata: {name: b}\n`;
    assert.deepEqual(
      objects("t.yaml", typed).map((o) => (o.kind === "Service" ? o.object.metadata.name : o.kind)),
      ["a", "b"],
    );
  });

  it("keeps only ConfigMaps with a string data.config", () => {
    const text = `${configMap("config")}---
kind: ConfigMap
metadata: {name: other}
data: {foo: bar}
`;
    const os = objects("cm.yaml", text);
    assert.deepEqual(
      os.map((o) => (o.kind === "ConfigMap" ? `${o.namespace}/${o.name}` : o.kind)),
      ["metallb-system/config"],
    );
  });

  it("a ConfigMap document's text keeps file line numbers for config errors", () => {
    const text = `kind: Service
metadata: {name: a}
---
${configMap("config", "metallb-system", "peers: [{peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, bogus: 1}]")}`;
    const cm = objects("cm.yaml", text).find((o) => o.kind === "ConfigMap");
    assert.ok(cm?.kind === "ConfigMap");
    assert.match(cm.where, /cm\.yaml \(document 2\): ConfigMap metallb-system\/config/);
    const r = parseConfig(cm.text);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.errors[0]?.line, 11);
    assert.equal(text.split("\n")[10]?.includes("bogus"), true);
  });

  it("a ConfigMap inside a List gives its data.config", () => {
    const text = `kind: List\nitems:\n- kind: ConfigMap\n  metadata: {name: config}\n  data: {config: "address-pools: []"}\n`;
    const cm = objects("l.yaml", text)[0];
    assert.ok(cm?.kind === "ConfigMap");
    assert.equal(cm.text, "address-pools: []");
    assert.equal(cm.namespace, "default");
  });

  it("rejects the whole file on a syntax error, with its position and without quoting the source", () => {
    const r = readManifestFile(
      "bad.yaml",
      "kind: Service\nmetadata: {name: a}\n---\nkind: Node\nmetadata: [secret-token\n",
    );
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.equal(r.problems[0]?.file, "bad.yaml");
    assert.ok((r.problems[0]?.line ?? 0) >= 5, "at or after the unclosed bracket");
    assert.match(r.problems[0]!.message, /YAML syntax error/);
    assert.doesNotMatch(JSON.stringify(r.problems), /secret-token/);
  });

  it("rejects the whole file when an object of a kind we read has no name", () => {
    const r = readManifestFile(
      "n.yaml",
      "kind: Service\nmetadata: {name: a}\n---\nkind: Node\nmetadata: {}\n",
    );
    assert.ok(!r.ok);
    assert.match(r.problems[0]!.message, /Node without metadata.name/);
    assert.equal(r.problems[0]!.line, 3);
    const scalar = readManifestFile("s.yaml", "just text\n");
    assert.ok(!scalar.ok);
  });

  it("an empty file declares nothing", () => {
    assert.deepEqual(objects("e.yaml", ""), []);
    assert.deepEqual(objects("c.yaml", "# only a comment\n"), []);
  });

  it("manifest names: yaml, yml, json; not hidden", () => {
    assert.deepEqual(
      ["a.yaml", "b.yml", "c.json", "D.YAML", ".a.yaml", "a.yaml~", "a.yaml.swp", "notes.txt", "x"].filter(
        isManifestName,
      ),
      ["a.yaml", "b.yml", "c.json", "D.YAML"],
    );
  });
});

describe("assemble", () => {
  const files = (entries: Record<string, string>) =>
    new Map(Object.entries(entries).map(([f, t]) => [f, objects(f, t)]));

  it("sorts Services and EndpointSlices by namespace/name, Nodes by name, and freezes them", () => {
    const a = assemble(
      files({
        "2.yaml": "kind: Service\nmetadata: {name: b, namespace: x}\n---\nkind: Node\nmetadata: {name: n2}\n",
        "1.yaml":
          "kind: Service\nmetadata: {name: a, namespace: y}\n---\nkind: Service\nmetadata: {name: z}\n---\nkind: Node\nmetadata: {name: n1}\n",
      }),
    );
    assert.deepEqual(
      a.snapshot.services.map((s) => `${s.metadata.namespace ?? ""}/${s.metadata.name}`),
      ["/z", "x/b", "y/a"],
    );
    assert.deepEqual(
      a.snapshot.nodes.map((n) => n.metadata.name),
      ["n1", "n2"],
    );
    assert.ok(Object.isFrozen(a.snapshot.services[0]));
    assert.ok(Object.isFrozen(a.snapshot.services[0]!.metadata));
    assert.deepEqual(a.problems, []);
    assert.equal(a.snapshot.configMap, undefined);
  });

  it("a duplicate object: the first in file-name order wins, and it is reported", () => {
    const a = assemble(
      files({
        "b.yaml": "kind: Service\nmetadata: {name: s, namespace: n}\nspec: {type: B}\n",
        "a.yaml": "kind: Service\nmetadata: {name: s, namespace: n}\nspec: {type: A}\n",
      }),
    );
    assert.equal(a.snapshot.services.length, 1);
    assert.equal(a.snapshot.services[0]!.spec?.type, "A");
    assert.deepEqual(
      a.problems.map((p) => p.file),
      ["b.yaml"],
    );
  });

  it("one ConfigMap with data.config is the config, whatever its name", () => {
    const a = assemble(files({ "cm.yaml": configMap("whatever") }));
    assert.equal(a.snapshot.configMap?.origin, "cm.yaml: ConfigMap metallb-system/whatever");
    assert.equal(a.configMapDecided, true);
  });

  it("several: config, then metallb, then signalbox", () => {
    const a = assemble(
      files({ "1.yaml": configMap("signalbox"), "2.yaml": configMap("metallb"), "3.yaml": configMap("x") }),
    );
    assert.match(a.snapshot.configMap!.origin, /ConfigMap metallb-system\/metallb/);
    const b = assemble(files({ "1.yaml": configMap("signalbox"), "2.yaml": configMap("config", "other") }));
    assert.match(b.snapshot.configMap!.origin, /ConfigMap other\/config/);
  });

  it("several and none (or two) with the preferred name: an error, undecided", () => {
    const a = assemble(files({ "1.yaml": configMap("a"), "2.yaml": configMap("b") }));
    assert.equal(a.configMapDecided, false);
    assert.equal(a.snapshot.configMap, undefined);
    assert.match(a.problems[0]!.message, /several ConfigMaps/);
    const b = assemble(files({ "1.yaml": configMap("config", "x"), "2.yaml": configMap("config", "y") }));
    assert.equal(b.configMapDecided, false);
  });
});
