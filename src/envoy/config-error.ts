// The error of a resource Envoy would not take: where (its JSON path, built on the way out of the
// walk that found it), in which message type, and why. Thrown by the proto check (proto.ts) and by
// Envoy's own validation rules (constraints.ts).

export class EnvoyConfigError extends Error {
  /** Where, e.g. `Listener.filter_chains[0].filters[0].typed_config.stat_prefix`. */
  path: string;
  /** The message type the offending field belongs to. */
  readonly typeName: string;
  /** The resource it is in, e.g. `clusters outbound|9080|v1|reviews.default.svc.cluster.local`, when the caller knows it. */
  resource?: string;
  private readonly detail: string;
  constructor(path: string, typeName: string, detail: string) {
    super(`${path}: ${detail} (in ${typeName})`);
    this.path = path;
    this.typeName = typeName;
    this.detail = detail;
  }

  /** The path is built on the way out of the walk, so a valid resource never pays for it. */
  within(segment: string): this {
    const joined = this.path === '' || this.path.startsWith('[') ? `${segment}${this.path}` : `${segment}.${this.path}`;
    this.path = joined;
    this.message = `${joined}: ${this.detail} (in ${this.typeName})`;
    return this;
  }
}

/** Runs `read` for the value at `segment`, naming the segment in an EnvoyConfigError from it. */
export function at<T>(segment: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw error instanceof EnvoyConfigError ? error.within(segment) : error;
  }
}
