// One ADS stream, state of the world: the xDS protocol and nothing of Istio. Per resource type it
// keeps what Envoy subscribed to (LDS/CDS: everything; RDS/EDS: the names requested) and the last
// response sent (version, nonce, names). A request whose nonce is not the last one sent for its
// type is stale and ignored; one that carries that nonce ACKs it, or NACKs it with error_detail.
// A type is answered when it has never been answered on this stream, when its version in the
// cache differs from the one sent, or when the requested names changed; so a NACKed version is
// not sent again until the cache changes. On a new snapshot, changed types go out in the order
// that never points at something missing: CDS, EDS, LDS, RDS. A new EDS cluster warms until
// Envoy asks for its endpoints and gets them, so LDS and RDS are held back until the EDS
// subscription covers every cluster of the snapshot (or CDS is NACKed); a new listener's RDS
// follows when Envoy asks for it.
// Make before break: when a snapshot removes clusters while LDS/RDS are to change (so Envoy's
// current routes may still use them), CDS first goes out as the new clusters plus the removed ones
// (version `<new>+keep`; their endpoints stay served), then LDS/RDS, and the final CDS (the
// cache's version) only once Envoy has answered LDS and RDS at the snapshot's versions.
import type { ResourceKind } from '../compile/snapshot.ts';
import { TYPE_URLS } from '../compile/snapshot.ts';
import type { CachedResource, CachedSnapshot, SnapshotCache } from './cache.ts';
import { kindOf, type DiscoveryRequest, type DiscoveryResponse } from './messages.ts';
import type { ProxyHandle, StatusBoard } from './status.ts';

const WILDCARD = new Set<ResourceKind>(['listeners', 'clusters']);
/** Types that wait while new clusters warm. */
const HELD: ResourceKind[] = ['listeners', 'routes'];

export class XdsProtocolError extends Error {}

interface TypeState {
  /** Requested names, sorted; undefined for a wildcard type. */
  names?: string[];
  sent?: { version: string; nonce: string; names?: string[]; resources: CachedResource[]; from: CachedSnapshot; answered?: boolean };
}

/** Clusters removed by the snapshot but kept in CDS until Envoy has the routes that no longer use them. */
interface Keep {
  clusters: CachedResource[];
  /** Their ClusterLoadAssignments, by name. */
  endpoints: Map<string, CachedResource>;
}

export interface StreamOptions {
  cache: SnapshotCache;
  board: StatusBoard;
  send(response: DiscoveryResponse): void;
  /** A nonce unique on this server. */
  nonce(): string;
}

export class AdsStream {
  #options: StreamOptions;
  #proxy?: string;
  #handle?: ProxyHandle;
  #unwatch?: () => void;
  #types = new Map<ResourceKind, TypeState>();
  /** LDS/RDS wait for Envoy to subscribe to the endpoints of new clusters. */
  #holding = false;
  /** Removed clusters still served in CDS, while Envoy may route by LDS/RDS older than the snapshot. */
  #keep?: Keep;

  constructor(options: StreamOptions) {
    this.#options = options;
  }

  onRequest(req: DiscoveryRequest): void {
    if (!this.#proxy) this.#identify(req);
    const kind = kindOf(req.type_url);
    if (!kind) return; // a type localmesh does not serve (e.g. SDS): never answered
    const state = this.#types.get(kind) ?? {};
    this.#types.set(kind, state);
    const sent = state.sent;
    if (sent && req.response_nonce !== '' && req.response_nonce !== sent.nonce) return; // stale
    const nack = sent && req.response_nonce === sent.nonce && req.error_detail;
    if (sent && req.response_nonce === sent.nonce) sent.answered = true;
    if (nack) this.#handle!.nacked(kind, sent.version, nack.message);
    else if (sent && req.response_nonce === sent.nonce && req.version_info === sent.version) this.#handle!.acked(kind, sent.version);
    if (!WILDCARD.has(kind)) state.names = [...new Set(req.resource_names)].sort();
    const cached = this.#options.cache.getSnapshot(this.#proxy!);
    if (!cached) return;
    const held = this.#holding && HELD.includes(kind);
    if (!held && this.#needsResponse(kind, state, cached)) this.#respond(kind, state, cached);
    if (this.#holding && ((kind === 'endpoints' && !missingEndpoints(state, cached)) || (kind === 'clusters' && nack))) {
      this.#holding = false;
      this.#pushChanged(cached, HELD);
    }
    if (this.#keep && !this.#routesPending(cached)) {
      this.#keep = undefined;
      this.#pushChanged(cached, ['clusters']);
    }
  }

  /** A new snapshot for this stream's proxy: send the types that changed, CDS, EDS, LDS, RDS. */
  onSnapshot(cached: CachedSnapshot): void {
    this.#keep = this.#keepFor(cached);
    const pushed = this.#pushChanged(cached, ['clusters', 'endpoints']);
    this.#holding = (this.#holding || pushed.includes('clusters')) && missingEndpoints(this.#types.get('endpoints'), cached);
    if (!this.#holding) this.#pushChanged(cached, HELD);
  }

  /** Send the given types whose version differs from the one last sent; returns those sent. */
  #pushChanged(cached: CachedSnapshot, kinds: ResourceKind[]): ResourceKind[] {
    // Stryker disable next-line ArrayDeclaration: callers only ask whether a served kind is in it
    const pushed: ResourceKind[] = [];
    for (const kind of kinds) {
      const state = this.#types.get(kind);
      if (state && state.sent?.version !== this.#version(kind, cached)) {
        this.#respond(kind, state, cached);
        pushed.push(kind);
      }
    }
    return pushed;
  }

  /** The version to serve: the cache's, or while clusters are kept, a CDS version of its own. */
  #version(kind: ResourceKind, cached: CachedSnapshot): string {
    const version = cached.types[kind].version;
    return kind === 'clusters' && this.#keep ? `${version}+keep` : version;
  }

  #needsResponse(kind: ResourceKind, state: TypeState, cached: CachedSnapshot): boolean {
    const sent = state.sent;
    return !sent || sent.version !== this.#version(kind, cached) || JSON.stringify(sent.names) !== JSON.stringify(state.names);
  }

  /** Whether LDS or RDS has not yet been sent at the snapshot's version and answered by Envoy. */
  #routesPending(cached: CachedSnapshot): boolean {
    return HELD.some((kind) => {
      const sent = this.#types.get(kind)?.sent;
      return sent !== undefined && (sent.version !== cached.types[kind].version || !sent.answered);
    });
  }

  /** The clusters last sent that the snapshot removes, if Envoy's routes may still use them. */
  #keepFor(cached: CachedSnapshot): Keep | undefined {
    const sent = this.#types.get('clusters')?.sent;
    // Stryker disable next-line ArrayDeclaration: without a CDS sent there is nothing to keep (returns below)
    const clusters = (sent?.resources ?? []).filter((r) => !cached.types.clusters.byName.has(r.name));
    if (!sent || clusters.length === 0 || !this.#routesPending(cached)) return undefined;
    const known = [...(this.#keep?.endpoints ?? []), ...sent.from.types.endpoints.byName];
    // Stryker disable next-line MethodExpression: equivalent: #respond serves a name from the snapshot before a kept one
    return { clusters, endpoints: new Map(known.filter(([name]) => !cached.types.endpoints.byName.has(name))) };
  }

  close(): void {
    this.#unwatch?.();
    this.#handle?.disconnected();
  }

  #identify(req: DiscoveryRequest): void {
    const node = req.node;
    if (!node?.id) throw new XdsProtocolError('the first DiscoveryRequest of a stream must carry node.id');
    this.#proxy = node.id;
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    this.#handle = this.#options.board.connect(node.id, { service: text(node.metadata.service), version: text(node.metadata.version) });
    this.#unwatch = this.#options.cache.watch(node.id, (cached) => this.onSnapshot(cached));
  }

  #respond(kind: ResourceKind, state: TypeState, cached: CachedSnapshot): void {
    const type = cached.types[kind];
    const version = this.#version(kind, cached);
    const kept = kind === 'endpoints' ? this.#keep?.endpoints : undefined;
    const resources = state.names
      ? state.names.flatMap((n) => type.byName.get(n) ?? kept?.get(n) ?? [])
      : [...type.resources, ...(kind === 'clusters' ? (this.#keep?.clusters ?? []) : [])];
    const nonce = this.#options.nonce();
    this.#options.send({
      version_info: version,
      resources: resources.map((r) => ({ type_url: TYPE_URLS[kind], value: r.bytes })),
      type_url: TYPE_URLS[kind],
      nonce,
      control_plane: { identifier: 'localmesh' },
    });
    state.sent = { version, nonce, names: state.names, resources, from: cached };
    this.#handle!.pushed(kind, version, nonce, resources.map((r) => r.name));
  }
}

/** Whether the snapshot has endpoints (one per EDS cluster) Envoy has not subscribed to yet. */
function missingEndpoints(state: TypeState | undefined, cached: CachedSnapshot): boolean {
  // Stryker disable next-line ArrayDeclaration: no endpoint has the name of the mutant's element
  const subscribed = new Set(state?.names ?? []);
  return cached.types.endpoints.resources.some((r) => !subscribed.has(r.name));
}
