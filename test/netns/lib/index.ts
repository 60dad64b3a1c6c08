// The network test harness: namespaces and processes (netns.ts), bounded waits (wait.ts),
// kernel tables (kernel.ts), client-host tools (hosts.ts), prerequisites (prereq.ts) and one driver per router.

export * from "./hosts.ts";
export * from "./kernel.ts";
export * from "./netns.ts";
export * from "./prereq.ts";
export * as bird from "./routers/bird.ts";
export * as exabgp from "./routers/exabgp.ts";
export * as frr from "./routers/frr.ts";
export * as gobgp from "./routers/gobgp.ts";
export type * from "./routers/types.ts";
