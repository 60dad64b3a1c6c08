export { AdjRibOut, type RibChange } from "./adj-rib-out.ts";
export { type Clock, jittered, type Random, systemClock } from "./clock.ts";
export { BgpListener } from "./listener.ts";
export {
  DEFAULT_LOCAL_PREF,
  NO_ATTRIBUTES,
  originatedAttributes,
  prefixKey,
  type Route,
  type RouteAttributes,
  route,
  routeAttributes,
} from "./route.ts";
export { BgpSession, type SessionDeps, type SessionEvent } from "./session.ts";
export { localOpen, type SessionConfig } from "./session-config.ts";
export type { MessageCounters, SessionStatus } from "./session-status.ts";
