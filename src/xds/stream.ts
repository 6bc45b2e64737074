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
import type { ResourceKind } from '../compile/snapshot.ts';
import { TYPE_URLS } from '../compile/snapshot.ts';
import type { CachedSnapshot, SnapshotCache } from './cache.ts';
import { kindOf, type DiscoveryRequest, type DiscoveryResponse } from './messages.ts';
import type { ProxyHandle, StatusBoard } from './status.ts';

const WILDCARD = new Set<ResourceKind>(['listeners', 'clusters']);
/** Types that wait while new clusters warm. */
const HELD: ResourceKind[] = ['listeners', 'routes'];

export class XdsProtocolError extends Error {}

interface TypeState {
  /** Requested names, sorted; undefined for a wildcard type. */
  names?: string[];
  sent?: { version: string; nonce: string; names?: string[] };
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
    if (nack) this.#handle!.nacked(kind, sent.version, nack.message);
    else if (sent && req.response_nonce === sent.nonce && req.version_info === sent.version) this.#handle!.acked(kind, sent.version);
    if (!WILDCARD.has(kind)) state.names = [...new Set(req.resource_names)].sort();
    const cached = this.#options.cache.getSnapshot(this.#proxy!);
    if (!cached) return;
    const held = this.#holding && HELD.includes(kind);
    if (!held && needsResponse(state, cached, kind)) this.#respond(kind, state, cached);
    if (this.#holding && ((kind === 'endpoints' && !missingEndpoints(state, cached)) || (kind === 'clusters' && nack))) {
      this.#holding = false;
      this.#pushChanged(cached, HELD);
    }
  }

  /** A new snapshot for this stream's proxy: send the types that changed, CDS, EDS, LDS, RDS. */
  onSnapshot(cached: CachedSnapshot): void {
    const pushed = this.#pushChanged(cached, ['clusters', 'endpoints']);
    this.#holding = (this.#holding || pushed.includes('clusters')) && missingEndpoints(this.#types.get('endpoints'), cached);
    if (!this.#holding) this.#pushChanged(cached, HELD);
  }

  /** Send the given types whose version differs from the one last sent; returns those sent. */
  #pushChanged(cached: CachedSnapshot, kinds: ResourceKind[]): ResourceKind[] {
    const pushed: ResourceKind[] = [];
    for (const kind of kinds) {
      const state = this.#types.get(kind);
      if (state && state.sent?.version !== cached.types[kind].version) {
        this.#respond(kind, state, cached);
        pushed.push(kind);
      }
    }
    return pushed;
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
    const resources = state.names ? state.names.flatMap((n) => type.byName.get(n) ?? []) : type.resources;
    const nonce = this.#options.nonce();
    this.#options.send({
      version_info: type.version,
      resources: resources.map((r) => ({ type_url: TYPE_URLS[kind], value: r.bytes })),
      type_url: TYPE_URLS[kind],
      nonce,
      control_plane: { identifier: 'localmesh' },
    });
    state.sent = { version: type.version, nonce, names: state.names };
    this.#handle!.pushed(kind, type.version, nonce, resources.map((r) => r.name));
  }
}

function needsResponse(state: TypeState, cached: CachedSnapshot, kind: ResourceKind): boolean {
  const sent = state.sent;
  return !sent || sent.version !== cached.types[kind].version || JSON.stringify(sent.names) !== JSON.stringify(state.names);
}

/** Whether the snapshot has endpoints (one per EDS cluster) Envoy has not subscribed to yet. */
function missingEndpoints(state: TypeState | undefined, cached: CachedSnapshot): boolean {
  const subscribed = new Set(state?.names ?? []);
  return cached.types.endpoints.resources.some((r) => !subscribed.has(r.name));
}
