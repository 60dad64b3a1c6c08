// What every Kubernetes test file checks first: openssl (for the PKI) and the binaries
// (build.sh builds them on first use, ~4 min cold; at once when cached), plus anything else
// the file needs. Under CI=true a missing prerequisite fails the test; elsewhere it is
// skipped with the reason.

import type { TestContext } from "node:test";
import { type Binaries, checkOpenssl, ensureBinaries, isCI, PrerequisiteError } from "./apiserver.ts";

export interface Prerequisites {
  readonly binaries: Binaries | undefined;
  readonly missing: string | undefined;
}

/** `also`: another missing prerequisite already found (e.g. by test/netns/lib missingPrerequisites). */
export async function prerequisites(also?: string): Promise<Prerequisites> {
  try {
    await checkOpenssl();
    return { binaries: await ensureBinaries(), missing: also };
  } catch (e) {
    if (!(e instanceof PrerequisiteError)) throw e;
    return { binaries: undefined, missing: also ?? e.message };
  }
}

/** The binaries; or, with something missing, skips the test (fails it under CI=true) and returns undefined. */
export function binariesOrSkip(t: TestContext, p: Prerequisites): Binaries | undefined {
  if (p.missing === undefined && p.binaries !== undefined) return p.binaries;
  const why = p.missing ?? "binaries not found";
  if (isCI()) throw new Error(`CI=true and a prerequisite is missing: ${why}`);
  t.skip(why);
  return undefined;
}
