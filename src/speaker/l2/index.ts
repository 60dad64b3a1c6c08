export * from "./announce.ts";
export * from "./arbiter.ts";
export * from "./election.ts";
export * from "./interfaces.ts";
export * from "./lease-evidence.ts";
export * from "./members.ts";
export * from "./runtime.ts";
