// One ADS stream, state of the world: the xDS protocol and nothing of Istio. Per resource type it
// keeps what Envoy subscribed to (LDS/CDS: everything; RDS/EDS: the names requested) and the last
// response sent (version, nonce, names). A request whose nonce is not the last one sent for its
// type is stale and ignored; one that carries that nonce ACKs it, or NACKs it with error_detail.
// A type is answered when it has never been answered on this stream, when its version in the
// cache differs from the one sent, or when the requested names changed; so a NACKed version is
// not sent again until the cache changes. Which changed types go out when (CDS, EDS, LDS, RDS;
// make before break) is the push order's (push-order.ts).
import type { ResourceKind } from '../envoy/snapshot.ts';
import { TYPE_URLS } from '../envoy/snapshot.ts';
import type { CachedResource, CachedSnapshot, CachedType, SnapshotCache } from './cache.ts';
import { kindOf, type DiscoveryRequest, type DiscoveryResponse } from './messages.ts';
import { PushOrder } from './push-order.ts';
import type { ProxyHandle, StatusBoard } from './status.ts';

const WILDCARD = new Set<ResourceKind>(['listeners', 'clusters']);
/** The types whose new resources open new watches on a named type (warming clusters on EDS and SDS, listeners on SDS). */
const WATCHED_BY: Partial<Record<ResourceKind, ResourceKind[]>> = { endpoints: ['clusters'], secrets: ['clusters', 'listeners'] };

export class XdsProtocolError extends Error {}

type Anys = DiscoveryResponse['resources'];
/**
 * The resources of responses as one array per distinct content, kept with the prepared type they
 * come from: every stream sending the same resources sends the same array, whose protobuf
 * encoding messages.ts makes once.
 */
const anyLists = new WeakMap<CachedType, Map<string, Anys>>();

function anysOf(kind: ResourceKind, type: CachedType, resources: readonly CachedResource[]): Anys {
  let lists = anyLists.get(type);
  if (!lists) anyLists.set(type, (lists = new Map()));
  const key = resources.map((r) => r.hash).join(',');
  let anys = lists.get(key);
  if (!anys) lists.set(key, (anys = resources.map((r) => ({ type_url: TYPE_URLS[kind], value: r.bytes }))));
  return anys;
}

interface TypeState {
  /** Requested names, sorted; undefined for a wildcard type. */
  names?: string[];
  sent?: { version: string; nonce: string; names?: string[]; resources: CachedResource[]; from: CachedSnapshot; answered: boolean; seq: number };
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
  /** Counts responses on the stream, so the order of two types' last responses is known. */
  #seq = 0;
  #order = new PushOrder({
    sent: (kind) => this.#types.get(kind)?.sent,
    names: (kind) => this.#types.get(kind)?.names,
    pushChanged: (cached, kinds) => this.#pushChanged(cached, kinds),
  });

  constructor(options: StreamOptions) {
    this.#options = options;
  }

  onRequest(req: DiscoveryRequest): void {
    if (!this.#proxy) this.#identify(req);
    const kind = kindOf(req.type_url);
    if (!kind) return; // a type localmesh does not serve (e.g. SDS): never answered
    const state = this.#types.get(kind) ?? {};
    this.#types.set(kind, state);
    this.#handle!.subscribed(kind);
    const sent = state.sent;
    if (sent && req.response_nonce !== '' && req.response_nonce !== sent.nonce) return; // stale
    const nack = sent && req.response_nonce === sent.nonce && req.error_detail;
    if (sent && req.response_nonce === sent.nonce) sent.answered = true;
    if (nack) this.#handle!.nacked(kind, sent.version, nack.message);
    else if (sent && req.response_nonce === sent.nonce && req.version_info === sent.version) this.#handle!.acked(kind, sent.version);
    if (!WILDCARD.has(kind)) state.names = [...new Set(req.resource_names)].sort();
    const cached = this.#options.cache.getSnapshot(this.#proxy!);
    if (!cached) return;
    if (!this.#order.holds(kind) && this.#needsResponse(kind, state, cached)) this.#respond(kind, state, cached);
    this.#order.onRequest(kind, Boolean(nack), cached);
  }

  /** A new snapshot for this stream's proxy: the push order sends the types that changed. */
  onSnapshot(cached: CachedSnapshot): void {
    this.#order.onSnapshot(cached);
  }

  /** Send the given types whose version differs from the one last sent; returns those sent. */
  #pushChanged(cached: CachedSnapshot, kinds: ResourceKind[]): ResourceKind[] {
    // Stryker disable next-line ArrayDeclaration: callers only ask whether a served kind is in it
    const pushed: ResourceKind[] = [];
    for (const kind of kinds) {
      const state = this.#types.get(kind);
      if (state && state.sent?.version !== this.#order.version(kind, cached)) {
        this.#respond(kind, state, cached);
        pushed.push(kind);
      }
    }
    return pushed;
  }

  #needsResponse(kind: ResourceKind, state: TypeState, cached: CachedSnapshot): boolean {
    const sent = state.sent;
    return !sent || sent.version !== this.#order.version(kind, cached) || JSON.stringify(sent.names) !== JSON.stringify(state.names) || this.#newWatch(kind, sent.seq);
  }

  /**
   * A request for EDS after a CDS response, or for SDS after a CDS or LDS response, that came later
   * than the last answer of its type: Envoy asks again for the clusters and listeners it is
   * warming, which wait for an answer (their initial fetch timeout, 15 s) even when nothing changed.
   */
  #newWatch(kind: ResourceKind, seq: number): boolean {
    return (WATCHED_BY[kind] ?? []).some((w) => (this.#types.get(w)?.sent?.seq ?? -1) > seq);
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
    const version = this.#order.version(kind, cached);
    const resources = state.names
      ? state.names.flatMap((n) => type.byName.get(n) ?? this.#order.kept(kind, n) ?? [])
      : [...type.resources, ...this.#order.extra(kind)];
    const nonce = this.#options.nonce();
    this.#options.send({
      version_info: version,
      resources: anysOf(kind, type, resources),
      type_url: TYPE_URLS[kind],
      nonce,
      control_plane: { identifier: 'localmesh' },
    });
    state.sent = { version, nonce, names: state.names, resources, from: cached, answered: false, seq: this.#seq++ };
    this.#handle!.pushed(kind, version, nonce, resources.map((r) => r.name));
  }
}
