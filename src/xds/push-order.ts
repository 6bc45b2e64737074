// The push order of one stream: which changed types go out on a new snapshot, and when, so that
// Envoy is never pointed at something it does not have. Nothing of the wire protocol here (the
// stream keeps nonces, versions and ACK/NACK); a Delta stream or a new type uses the same policy.
//
// - On a new snapshot, changed types go out RTDS, SDS, CDS, EDS, LDS, RDS.
// - A new EDS cluster warms until Envoy asks for its endpoints and gets them, so LDS and RDS are
//   held back until the EDS subscription covers every cluster of the snapshot (or CDS is NACKed:
//   then no endpoints will be asked for); a new listener's RDS follows when Envoy asks for it.
// - Make before break: when a snapshot removes clusters while LDS/RDS are to change (so Envoy's
//   current routes may still use them), CDS first goes out as the new clusters plus the removed
//   ones (version `<new>+keep`; their endpoints stay served), then LDS/RDS, and the final CDS (the
//   cache's version) only once Envoy has answered LDS and RDS at the snapshot's versions.
import type { ResourceKind } from '../envoy/snapshot.ts';
import type { CachedResource, CachedSnapshot } from './cache.ts';

/** Types that point at others, and so wait while new clusters warm: listeners (RDS names) and routes (clusters). */
const HELD: ResourceKind[] = ['listeners', 'routes'];
/** Types pointed at, sent first (secrets before the clusters and listeners that name them); the runtime first of all. */
const FIRST: ResourceKind[] = ['runtime', 'secrets', 'clusters', 'endpoints'];

/** What the policy reads of a stream, and the one thing it asks of it. */
export interface OrderedStream {
  /** The last response of a type on the stream, and whether Envoy has answered it (ACK or NACK). */
  sent(kind: ResourceKind): { version: string; answered: boolean; resources: readonly CachedResource[]; from: CachedSnapshot } | undefined;
  /** The names Envoy subscribed to for a type (EDS, RDS); undefined before it asked. */
  names(kind: ResourceKind): readonly string[] | undefined;
  /** Send the given types whose version differs from the one last sent, in order; returns those sent. */
  pushChanged(cached: CachedSnapshot, kinds: ResourceKind[]): ResourceKind[];
}

/** Clusters removed by the snapshot but kept in CDS until Envoy has the routes that no longer use them. */
interface Keep {
  clusters: CachedResource[];
  /** Their ClusterLoadAssignments, by name. */
  endpoints: Map<string, CachedResource>;
}

export class PushOrder {
  #stream: OrderedStream;
  /** LDS/RDS wait for Envoy to subscribe to the endpoints of new clusters. */
  #holding = false;
  /** Removed clusters still served in CDS, while Envoy may route by LDS/RDS older than the snapshot. */
  #keep?: Keep;

  constructor(stream: OrderedStream) {
    this.#stream = stream;
  }

  /** A new snapshot for the stream's proxy: send the types that changed, CDS, EDS, then LDS, RDS unless held. */
  onSnapshot(cached: CachedSnapshot): void {
    this.#keep = this.#keepFor(cached);
    const pushed = this.#stream.pushChanged(cached, FIRST);
    this.#holding = (this.#holding || pushed.includes('clusters')) && this.#missingEndpoints(cached);
    if (!this.#holding) this.#stream.pushChanged(cached, HELD);
  }

  /** Whether a request of this type must wait before it is answered. */
  holds(kind: ResourceKind): boolean {
    return this.#holding && HELD.includes(kind);
  }

  /** After the stream handled a request (and answered it, unless held): let go what waited on it. */
  onRequest(kind: ResourceKind, nacked: boolean, cached: CachedSnapshot): void {
    if (this.#holding && ((kind === 'endpoints' && !this.#missingEndpoints(cached)) || (kind === 'clusters' && nacked))) {
      this.#holding = false;
      this.#stream.pushChanged(cached, HELD);
    }
    if (this.#keep && !this.#routesPending(cached)) {
      this.#keep = undefined;
      this.#stream.pushChanged(cached, ['clusters']);
    }
  }

  /** The version to serve: the cache's, or while clusters are kept, a CDS version of its own. */
  version(kind: ResourceKind, cached: CachedSnapshot): string {
    const version = cached.types[kind].version;
    return kind === 'clusters' && this.#keep ? `${version}+keep` : version;
  }

  /** The resources a wildcard response of this type carries besides the snapshot's: the kept clusters. */
  extra(kind: ResourceKind): readonly CachedResource[] {
    return kind === 'clusters' ? (this.#keep?.clusters ?? []) : [];
  }

  /** A named resource the snapshot no longer has but is still served: the endpoints of a kept cluster. */
  kept(kind: ResourceKind, name: string): CachedResource | undefined {
    return kind === 'endpoints' ? this.#keep?.endpoints.get(name) : undefined;
  }

  /** Whether LDS or RDS has not yet been sent at the snapshot's version and answered by Envoy. */
  #routesPending(cached: CachedSnapshot): boolean {
    return HELD.some((kind) => {
      const sent = this.#stream.sent(kind);
      return sent !== undefined && (sent.version !== cached.types[kind].version || !sent.answered);
    });
  }

  /** The clusters last sent that the snapshot removes, if Envoy's routes may still use them. */
  #keepFor(cached: CachedSnapshot): Keep | undefined {
    const sent = this.#stream.sent('clusters');
    // Stryker disable next-line ArrayDeclaration: without a CDS sent there is nothing to keep (returns below)
    const clusters = (sent?.resources ?? []).filter((r) => !cached.types.clusters.byName.has(r.name));
    if (!sent || clusters.length === 0 || !this.#routesPending(cached)) return undefined;
    const known = [...(this.#keep?.endpoints ?? []), ...sent.from.types.endpoints.byName];
    // Stryker disable next-line MethodExpression: equivalent: the stream serves a name from the snapshot before a kept one
    return { clusters, endpoints: new Map(known.filter(([name]) => !cached.types.endpoints.byName.has(name))) };
  }

  /** Whether the snapshot has endpoints (one per EDS cluster) Envoy has not subscribed to yet. */
  #missingEndpoints(cached: CachedSnapshot): boolean {
    // Stryker disable next-line ArrayDeclaration: no endpoint has the name of the mutant's element
    const subscribed = new Set(this.#stream.names('endpoints') ?? []);
    return cached.types.endpoints.resources.some((r) => !subscribed.has(r.name));
  }
}
