export { type Family, IpAddress } from "./address.ts";
export { Prefix } from "./prefix.ts";
export type { IpRange } from "./range.ts";
