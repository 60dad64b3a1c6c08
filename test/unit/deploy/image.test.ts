// The Dockerfile, read as data: Node major equal to the one package.json pins, three stages
// (build, production deps, runtime), and a runtime stage that gets only what runs.
// Docker itself is not needed (nor run): the image build is checked where Docker exists.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  body: Instruction[];
}

/** Dockerfile → stages of instructions (continuations joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    assert.ok(m, `unparsable Dockerfile line: ${line}`);
    const op = (m[1] ?? "").toUpperCase();
    const args = m[2] ?? "";
    if (op === "FROM") {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(f, `FROM ${args}`);
      stages.push({ from: f[1] ?? "", name: f[2], body: [] });
    } else {
      const current = stages.at(-1);
      assert.ok(current, `${op} before the first FROM`);
      current.body.push({ op, args });
    }
  }
  return stages;
}

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const stages = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const has = (s: Stage, op: string, re: RegExp): boolean => s.body.some((i) => i.op === op && re.test(i.args));

test("Dockerfile: every stage is node:<the pinned major>-bookworm-slim", () => {
  const pinned = pkg.devDependencies["node"];
  assert.ok(pinned, "package.json pins no `node` devDependency");
  const major = pinned.split(".")[0];
  assert.match(pkg.engines.node, new RegExp(`^>=${major} <${Number(major) + 1}$`));
  assert.ok(stages.length >= 2);
  for (const s of stages)
    assert.equal(s.from, `node:${major}-bookworm-slim`, `stage ${s.name ?? "(runtime)"}`);
});

test("Dockerfile: build stage compiles the addon and the TypeScript", () => {
  const build = stages.find((s) => s.name === "build");
  assert.ok(build);
  assert.ok(has(build, "RUN", /apt-get install .*\bgcc\b/));
  assert.ok(has(build, "RUN", /^npm ci\b(?!.*--omit=dev)/));
  assert.ok(has(build, "RUN", /^npm run build:native$/));
  assert.ok(has(build, "RUN", /^npm run build$/));
});

test("Dockerfile: runtime has production deps only, the build output, and a non-root user", () => {
  const deps = stages.find((s) => s.name === "deps");
  assert.ok(deps);
  assert.ok(has(deps, "RUN", /^npm ci --omit=dev\b/));
  assert.ok(
    has(deps, "RUN", /test ! -e node_modules\/node\b/),
    "the `node` devDependency must not reach the image",
  );

  const runtime = stages.at(-1);
  assert.ok(runtime && runtime.name === undefined);
  const copies = runtime.body.filter((i) => i.op === "COPY").map((i) => i.args);
  assert.deepEqual(
    copies.filter((a) => a.includes("node_modules")),
    ["--from=deps /app/node_modules ./node_modules"],
  );
  for (const want of ["dist/src", "dist/protocol", "native/build/netsys.node"]) {
    assert.ok(
      copies.some((a) => a.startsWith(`--from=build /app/${want} `)),
      `runtime lacks ${want}`,
    );
  }
  // Nothing from the host context but package.json ("type": "module").
  assert.deepEqual(
    copies.filter((a) => !a.startsWith("--from=")),
    ["package.json ./"],
  );
  assert.ok(!runtime.body.some((i) => i.op === "RUN" && /apt-get install|npm (ci|install)/.test(i.args)));
  const users = runtime.body.filter((i) => i.op === "USER").map((i) => i.args);
  assert.deepEqual(users, ["65532:65532"]);

  // The entry point runs what the build emits for src/cli/main.ts (tsconfig.build.json: outDir dist, rootDir .).
  const entry = runtime.body.find((i) => i.op === "ENTRYPOINT");
  assert.ok(entry);
  assert.deepEqual(JSON.parse(entry.args), ["node", "dist/src/cli/main.js"]);
  assert.ok(existsSync(join(ROOT, "src", "cli", "main.ts")));
  const tsb = JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as {
    compilerOptions: { outDir: string; rootDir: string };
  };
  assert.deepEqual([tsb.compilerOptions.outDir, tsb.compilerOptions.rootDir], ["dist", "."]);
});
