export { AdjRibOut, type RibChange } from "./adj-rib-out.ts";
export { type Clock, jittered, type Random, systemClock } from "./clock.ts";
export { BgpListener } from "./listener.ts";
export {
  attributeKey,
  DEFAULT_LOCAL_PREF,
  originatedAttributes,
  prefixKey,
  type Route,
  route,
} from "./route.ts";
export {
  BgpSession,
  localOpen,
  type SessionConfig,
  type SessionDeps,
  type SessionEvent,
  type SessionStatus,
} from "./session.ts";
