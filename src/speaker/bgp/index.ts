export { AdjRibOut, type RibChange } from "./adj-rib-out.ts";
export { type Clock, jittered, type Random, systemClock } from "./clock.ts";
export { BgpListener } from "./listener.ts";
export {
  attributeKey,
  DEFAULT_LOCAL_PREF,
  NO_ATTRIBUTES,
  originatedAttributes,
  prefixKey,
  type Route,
  type RouteAttributes,
  route,
  routeAttributes,
} from "./route.ts";
export {
  BgpSession,
  localOpen,
  type SessionConfig,
  type SessionDeps,
  type SessionEvent,
  type SessionStatus,
} from "./session.ts";
