/**
 * FileClusterSource against real temp folders: initial load, changes, bad files, debounce,
 * periodic rescan and clean stop. Timers are fake where a test needs to control them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  FileClusterSource,
  type FileSourceOptions,
  ManifestFolderError,
  type SourceProblem,
  type Timers,
} from "../../../src/cluster/file/index.ts";
import type { ClusterSnapshot } from "../../../src/cluster/index.ts";

class FakeTimers implements Timers {
  readonly timeouts = new Map<number, { fn: () => void; ms: number }>();
  readonly intervals = new Map<number, { fn: () => void; ms: number }>();
  armed = 0;
  #next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    this.armed++;
    this.timeouts.set(this.#next, { fn, ms });
    return this.#next++;
  }
  clearTimeout(h: unknown): void {
    this.timeouts.delete(h as number);
  }
  setInterval(fn: () => void, ms: number): unknown {
    this.intervals.set(this.#next, { fn, ms });
    return this.#next++;
  }
  clearInterval(h: unknown): void {
    this.intervals.delete(h as number);
  }
  fireTimeouts(): void {
    for (const [id, t] of [...this.timeouts]) {
      this.timeouts.delete(id);
      t.fn();
    }
  }
  fireIntervals(): void {
    for (const t of [...this.intervals.values()]) t.fn();
  }
}

const svcYaml = (name: string, ip = "198.51.100.1") =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ns}\nspec: {type: LoadBalancer}\nstatus: {loadBalancer: {ingress: [{ip: "${ip}"}]}}\n`;
const nodeYaml = (name: string) => `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}}\n`;
const cmYaml = `apiVersion: v1
kind: ConfigMap
metadata: {name: config, namespace: metallb-system}
data:
  config: |
    address-pools:
    - {name: a, protocol: bgp, addresses: [198.51.100.0/24]}
`;

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("FileClusterSource", () => {
  let dir: string;
  let source: FileClusterSource | undefined;
  let seen: ClusterSnapshot[];
  let errors: SourceProblem[];
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  const names = (s: ClusterSnapshot | undefined) => (s?.services ?? []).map((x) => x.metadata.name);
  const last = () => seen.at(-1);

  async function start(opts: Partial<FileSourceOptions> = {}): Promise<FileClusterSource> {
    source = new FileClusterSource({
      dir,
      timers: new FakeTimers(),
      onError: (p) => errors.push(p),
      ...opts,
    });
    await source.start((s) => seen.push(s));
    return source;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "signalbox-file-source-"));
    seen = [];
    errors = [];
    source = undefined;
  });
  afterEach(async () => {
    await source?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("initial load: one snapshot with every object, delivered before start resolves", async () => {
    write("services.yaml", `${svcYaml("b")}---\n${svcYaml("a")}`);
    write(
      "nodes.json",
      JSON.stringify({ kind: "List", items: [{ kind: "Node", metadata: { name: "n1" } }] }),
    );
    write("config.yaml", cmYaml);
    write("notes.txt", "not a manifest");
    write(".hidden.yaml", svcYaml("hidden"));
    await start();
    assert.equal(seen.length, 1);
    assert.deepEqual(names(last()), ["a", "b"]);
    assert.deepEqual(
      last()!.nodes.map((n) => n.metadata.name),
      ["n1"],
    );
    assert.equal(last()!.configMap?.origin, "config.yaml: ConfigMap metallb-system/config");
    assert.deepEqual(errors, []);
    assert.equal(source!.snapshot(), last());
  });

  it("an empty folder still gives a first (empty) snapshot", async () => {
    await start();
    assert.deepEqual(seen, [{ configMap: undefined, services: [], nodes: [], endpointSlices: [] }]);
  });

  it("a missing folder rejects start with ManifestFolderError", async () => {
    const s = new FileClusterSource({ dir: join(dir, "nope"), timers: new FakeTimers() });
    await assert.rejects(
      s.start(() => {}),
      (e) => e instanceof ManifestFolderError && /ENOENT/.test(e.message),
    );
    await s.stop();
  });

  it("add, change and remove files; a rescan without changes delivers nothing", async () => {
    write("a.yaml", svcYaml("a"));
    await start();
    write("b.yaml", svcYaml("b"));
    await source!.rescan();
    assert.deepEqual(names(last()), ["a", "b"]);
    write("a.yaml", svcYaml("a", "198.51.100.2"));
    await source!.rescan();
    assert.equal(last()!.services[0]!.status?.loadBalancer?.ingress?.[0]?.ip, "198.51.100.2");
    unlinkSync(join(dir, "b.yaml"));
    await source!.rescan();
    assert.deepEqual(names(last()), ["a"]);
    const count = seen.length;
    await source!.rescan();
    write("a.yaml", svcYaml("a", "198.51.100.2")); // same content rewritten
    await source!.rescan();
    assert.equal(seen.length, count);
    assert.equal(count, 4);
  });

  it("a formatting-only change (same objects) delivers nothing", async () => {
    write("a.yaml", svcYaml("a"));
    await start();
    write(
      "a.yaml",
      `# a comment\n${JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: "198.51.100.1" }] } }, spec: { type: "LoadBalancer" }, metadata: { namespace: "ns", name: "a" }, kind: "Service", apiVersion: "v1" })}\n`,
    );
    await source!.rescan();
    assert.equal(seen.length, 1);
  });

  it("bad YAML keeps that file's last good content, reports once, and touches nothing else", async () => {
    write("a.yaml", svcYaml("a"));
    write("b.yaml", svcYaml("b"));
    await start();
    write("a.yaml", "kind: Service\nmetadata: {name: [\n");
    write("b.yaml", svcYaml("b2"));
    await source!.rescan();
    assert.deepEqual(names(last()), ["a", "b2"]);
    assert.equal(errors.length, 1, "the first syntax error only: the rest are its echoes");
    assert.equal(errors[0]!.file, "a.yaml");
    assert.match(errors[0]!.message, /YAML syntax error.*last good content stays in force/);
    assert.deepEqual(source!.problems(), errors);
    await source!.rescan();
    assert.equal(errors.length, 1, "not reported again while it persists");
    write("a.yaml", svcYaml("a3"));
    await source!.rescan();
    assert.deepEqual(names(last()), ["a3", "b2"]);
    assert.deepEqual(source!.problems(), []);
  });

  it("a file that is bad from the start is ignored until fixed", async () => {
    write("a.yaml", "kind: Node\nmetadata: {}\n");
    write("b.yaml", svcYaml("b"));
    await start();
    assert.deepEqual(names(last()), ["b"]);
    assert.match(errors[0]!.message, /Node without metadata.name; the file is ignored until it is fixed/);
  });

  it("multi-document files and several ConfigMaps: the one named config", async () => {
    write(
      "all.yaml",
      `${nodeYaml("n2")}---\n${nodeYaml("n1")}---\n${cmYaml.replace("name: config", "name: other")}---\n${cmYaml}`,
    );
    await start();
    assert.deepEqual(
      last()!.nodes.map((n) => n.metadata.name),
      ["n1", "n2"],
    );
    assert.equal(last()!.configMap?.origin, "all.yaml (document 4): ConfigMap metallb-system/config");
  });

  it("an ambiguous ConfigMap choice keeps the previous config and says why", async () => {
    write("cm1.yaml", cmYaml);
    await start();
    const before = last()!.configMap;
    write("cm1.yaml", cmYaml.replace("name: config", "name: one"));
    write("cm2.yaml", cmYaml.replace("name: config", "name: two"));
    write("s.yaml", svcYaml("s"));
    await source!.rescan();
    assert.deepEqual(last()!.configMap, before);
    assert.deepEqual(names(last()), ["s"]);
    assert.match(errors[0]!.message, /several ConfigMaps/);
  });

  it("watch: a burst of writes arms one debounce timer and gives one snapshot (no storm)", async () => {
    const timers = new FakeTimers();
    await start({ timers, debounceMs: 100 });
    write("a.yaml", svcYaml("a"));
    await until(() => timers.timeouts.size > 0, "a watch event");
    for (let i = 0; i < 20; i++) write(`s${i}.yaml`, svcYaml(`s${i}`));
    write("a.yaml", svcYaml("a", "198.51.100.9"));
    await sleep(100); // let the watch events of the burst arrive
    assert.equal(timers.armed, 1);
    assert.equal(timers.timeouts.get([...timers.timeouts.keys()][0]!)!.ms, 100);
    timers.fireTimeouts();
    await source!.rescan(); // joins the scan the timer started
    assert.equal(seen.length, 2);
    assert.equal(last()!.services.length, 21);
  });

  it("watch, real timers: an editor-style replace (write elsewhere, rename over) is picked up", async () => {
    write("a.yaml", svcYaml("a"));
    await start({ timers: undefined, debounceMs: 20, rescanMs: 0 });
    const tmp = join(dir, ".a.yaml.tmp");
    writeFileSync(tmp, svcYaml("renamed"));
    renameSync(tmp, join(dir, "a.yaml"));
    await until(() => names(last()).includes("renamed"), "the replaced file");
    assert.equal(seen.length, 2);
  });

  it("without watching, the periodic rescan notices changes", async () => {
    const timers = new FakeTimers();
    await start({ timers, watch: false, rescanMs: 1500 });
    assert.deepEqual(
      [...timers.intervals.values()].map((t) => t.ms),
      [1500],
    );
    write("a.yaml", svcYaml("a"));
    timers.fireIntervals();
    await source!.rescan();
    assert.deepEqual(names(last()), ["a"]);
  });

  it("the folder vanishing keeps the last snapshot; it comes back and is read again", async () => {
    write("a.yaml", svcYaml("a"));
    await start({ watch: false });
    rmSync(dir, { recursive: true });
    await source!.rescan();
    assert.deepEqual(names(last()), ["a"]);
    assert.equal(seen.length, 1);
    assert.match(errors.at(-1)!.message, /cannot read the folder: ENOENT; the last snapshot stays/);
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir);
    write("b.yaml", svcYaml("b"));
    await source!.rescan();
    assert.deepEqual(names(last()), ["b"]);
    assert.deepEqual(source!.problems(), []);
  });

  it("an onChange that throws is reported and the source carries on", async () => {
    write("a.yaml", svcYaml("a"));
    source = new FileClusterSource({ dir, timers: new FakeTimers(), onError: (p) => errors.push(p) });
    let calls = 0;
    await source.start(() => {
      calls++;
      if (calls === 2) throw new Error("consumer bug");
    });
    write("b.yaml", svcYaml("b"));
    await source.rescan();
    assert.match(errors[0]!.message, /onChange failed: consumer bug/);
    write("c.yaml", svcYaml("c"));
    await source.rescan();
    assert.equal(calls, 3);
  });

  it("stop() clears its timers and closes its watcher; no snapshot after it", async () => {
    const timers = new FakeTimers();
    await sleep(50); // let the watchers of earlier tests finish closing
    const before = process.getActiveResourcesInfo().filter((r) => r === "FSEventWrap").length;
    await start({ timers });
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === "FSEventWrap").length, before + 1);
    write("a.yaml", svcYaml("a"));
    await until(() => timers.timeouts.size > 0, "a watch event");
    await source!.stop();
    assert.equal(timers.timeouts.size, 0);
    assert.equal(timers.intervals.size, 0);
    // libuv frees the closed handle on its next turn.
    await until(
      () => process.getActiveResourcesInfo().filter((r) => r === "FSEventWrap").length === before,
      "the watcher to close",
      1000,
    );
    const count = seen.length;
    await source!.rescan();
    assert.equal(seen.length, count);
  });

  it("a process using real timers exits by itself after stop()", () => {
    write("a.yaml", svcYaml("a"));
    const url = new URL("../../../src/cluster/file/index.ts", import.meta.url).href;
    const script = `
      import { FileClusterSource } from ${JSON.stringify(url)};
      const s = new FileClusterSource({ dir: ${JSON.stringify(dir)}, debounceMs: 10, rescanMs: 50 });
      let n = 0;
      await s.start((snap) => { n = snap.services.length; });
      await new Promise((r) => setTimeout(r, 120));
      await s.stop();
      console.log("services", n);
    `;
    const r = spawnSync(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", script],
      {
        timeout: 10_000,
        encoding: "utf8",
      },
    );
    assert.equal(r.signal, null, "exited on its own, not killed at the timeout");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "services 1");
  });
});
