import type { IpAddress } from "./address.ts";

/** An inclusive range of addresses of one family: `first` ≤ `last`. A CIDR is a range too. */
export interface IpRange {
  readonly first: IpAddress;
  readonly last: IpAddress;
}
