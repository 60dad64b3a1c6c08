/**
 * A secret string (a BGP TCP MD5 password). It prints as `<redacted>` everywhere: template
 * strings, JSON, `util.inspect` and so logs. Only `reveal()` gives the value, and only the
 * code that configures the socket should call it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get byteLength(): number {
    return Buffer.byteLength(this.#value, "utf8");
  }

  equals(o: Secret): boolean {
    return this.#value === o.#value;
  }

  toString(): string {
    return "<redacted>";
  }

  toJSON(): string {
    return "<redacted>";
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "Secret(<redacted>)";
  }
}
