/**
 * The last good config. Each new ConfigMap text is parsed once; a valid one replaces the
 * running config, an invalid one is reported and changes nothing (DESIGN.md, Errors: "an
 * invalid ConfigMap keeps the last good one running and says why").
 */
import { type ConfigIssue, formatIssue } from "./issues.ts";
import { parseConfig } from "./parse.ts";
import type { Config } from "./types.ts";

export type ConfigState =
  | { readonly state: "missing" }
  | { readonly state: "valid"; readonly origin: string; readonly warnings: readonly string[] }
  | {
      readonly state: "invalid";
      readonly origin: string;
      readonly errors: readonly string[];
      /** The config still in use: the last valid one, if there was one. */
      readonly running: "last-good" | "none";
    };

/** What a new text did: nothing (same text or none), loaded a config, or was rejected. */
export type ConfigChange = "unchanged" | "loaded" | "rejected";

export class ConfigKeeper {
  #config: Config | undefined;
  #text: string | undefined;
  #state: ConfigState = { state: "missing" };
  /** Times a text was rejected; for metrics. */
  #rejected = 0;

  get config(): Config | undefined {
    return this.#config;
  }

  get state(): ConfigState {
    return this.#state;
  }

  get rejections(): number {
    return this.#rejected;
  }

  /** True while the running config is not what the ConfigMap says (MetalLB: config_stale_bool). */
  get stale(): boolean {
    return this.#state.state === "invalid";
  }

  update(cm: { readonly text: string; readonly origin: string } | undefined): ConfigChange {
    if (cm === undefined || cm.text === this.#text) return "unchanged";
    this.#text = cm.text;
    const r = parseConfig(cm.text);
    if (r.ok) {
      this.#config = r.config;
      this.#state = { state: "valid", origin: cm.origin, warnings: r.warnings.map(formatIssue) };
      return "loaded";
    }
    this.#rejected++;
    this.#state = {
      state: "invalid",
      origin: cm.origin,
      errors: r.errors.map((e: ConfigIssue) => formatIssue(e)),
      running: this.#config ? "last-good" : "none",
    };
    return "rejected";
  }
}
