// The ADS protocol of one stream, driven by hand: what is answered, when, and what is recorded.
import { beforeEach, describe, expect, it } from 'vitest';
import { TYPE_URLS, type ResourceKind } from '../../../src/envoy/snapshot.ts';
import { SnapshotCache } from '../../../src/xds/cache.ts';
import { kindOf, type DiscoveryRequest, type DiscoveryResponse } from '../../../src/xds/messages.ts';
import { StatusBoard } from '../../../src/xds/status.ts';
import { AdsStream, XdsProtocolError } from '../../../src/xds/stream.ts';
import type { XdsEvent } from '../../../src/xds/types.ts';
import { listener, snapshot } from '../../helpers/xds-snapshots.ts';

let cache: SnapshotCache;
let board: StatusBoard;
let sent: DiscoveryResponse[];
let events: XdsEvent[];
let stream: AdsStream;

beforeEach(() => {
  cache = new SnapshotCache();
  board = new StatusBoard(cache);
  sent = [];
  events = [];
  board.subscribe((e) => events.push(e));
  let nonce = 0;
  stream = new AdsStream({ cache, board, send: (r) => sent.push(r), nonce: () => `n${++nonce}` });
  cache.setSnapshot('p1', snapshot({ a: 50, b: 50 }));
});

const NODE = { id: 'p1', cluster: 'svc', metadata: { service: 'svc', version: 'v1' } };

function request(kind: ResourceKind, fields: Partial<DiscoveryRequest> = {}): void {
  stream.onRequest({ node: NODE, version_info: '', resource_names: [], type_url: TYPE_URLS[kind], response_nonce: '', ...fields });
}

/** The ACK (or, with an error, the NACK) of a response, as Envoy sends it. */
function reply(response: DiscoveryResponse, names: string[] = [], error?: string): void {
  const kind = kindOf(response.type_url)!;
  const state = board.status()[0]!.types[kind];
  stream.onRequest({
    version_info: error ? (state.ackedVersion ?? '') : response.version_info,
    resource_names: names,
    type_url: response.type_url,
    response_nonce: response.nonce,
    ...(error ? { error_detail: { code: 3, message: error } } : {}),
  });
}

const kinds = (responses: DiscoveryResponse[]) => responses.map((r) => kindOf(r.type_url));
const state = (kind: ResourceKind) => board.status().find((p) => p.id === 'p1')!.types[kind];

/** Connect and sync every type, as Envoy does at start. */
function sync(): void {
  request('clusters');
  reply(sent.at(-1)!);
  request('endpoints', { resource_names: ['a', 'b'] });
  reply(sent.at(-1)!, ['a', 'b']);
  request('listeners');
  reply(sent.at(-1)!);
  request('routes', { resource_names: ['routes'] });
  reply(sent.at(-1)!, ['routes']);
}

describe('a stream', () => {
  it('answers each first request, wildcard for CDS/LDS and by name for EDS/RDS, and records the ACKs', () => {
    request('clusters');
    expect(sent[0]).toMatchObject({ type_url: TYPE_URLS.clusters, nonce: 'n1', version_info: cache.getSnapshot('p1')!.types.clusters.version });
    expect(sent[0]!.resources).toHaveLength(2);
    reply(sent[0]!);
    request('endpoints', { resource_names: ['b'] });
    expect(sent[1]!.resources.map((r) => r.value)).toEqual([cache.getSnapshot('p1')!.types.endpoints.byName.get('b')!.bytes]);
    expect(state('clusters').state).toBe('SYNCED');
    expect(state('endpoints').state).toBe('STALE');
    expect(state('listeners').state).toBe('NOT SENT');
    expect(events[0]).toMatchObject({ type: 'connected', proxy: 'p1' });
    expect(board.status()[0]).toMatchObject({ service: 'svc', version: 'v1', connected: true });
  });

  it('sends nothing more for an ACK, and only the changed types on a new snapshot', () => {
    sync();
    expect(sent).toHaveLength(4);
    cache.setSnapshot('p1', snapshot({ a: 90, b: 10 }));
    expect(kinds(sent.slice(4))).toEqual(['routes']);
  });

  it('ignores a request with a stale nonce', () => {
    sync();
    const old = sent.at(-1)!;
    cache.setSnapshot('p1', snapshot({ a: 90, b: 10 }));
    reply(old, ['routes'], 'rejected long ago');
    expect(state('routes')).toMatchObject({ state: 'STALE', nack: undefined });
    expect(sent).toHaveLength(5);
  });

  it('records a NACK with its message, does not resend that version, and sends the next one', () => {
    sync();
    cache.setSnapshot('p1', snapshot({ a: 90, b: 10 }));
    const rejected = sent.at(-1)!;
    reply(rejected, ['routes'], 'bad route');
    expect(state('routes')).toMatchObject({ state: 'NACK', nack: { version: rejected.version_info, message: 'bad route' } });
    expect(sent).toHaveLength(5);
    expect(events.at(-1)).toMatchObject({ type: 'nacked', kind: 'routes', message: 'bad route' });
    cache.setSnapshot('p1', snapshot({ a: 80, b: 20 }));
    reply(sent.at(-1)!, ['routes']);
    expect(state('routes')).toMatchObject({ state: 'SYNCED', nack: undefined });
    expect(state('routes').lastAckLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('answers a change of requested names with the same version', () => {
    sync();
    reply(sent[1]!, ['a']);
    expect(kinds(sent.slice(4))).toEqual(['endpoints']);
    expect(sent[4]!.version_info).toBe(sent[1]!.version_info);
    expect(sent[4]!.resources).toHaveLength(1);
  });

  it('pushes CDS, EDS, then holds LDS/RDS until Envoy asked for the new cluster\'s endpoints', () => {
    sync();
    cache.setSnapshot('p1', snapshot({ a: 40, b: 40, c: 20 }));
    expect(kinds(sent.slice(4))).toEqual(['clusters', 'endpoints']);
    reply(sent[4]!);
    reply(sent[5]!, ['a', 'b', 'c']);
    expect(kinds(sent.slice(6))).toEqual(['endpoints', 'routes']);
    expect(sent[6]!.resources).toHaveLength(3);
  });

  it('lets LDS/RDS go when CDS is NACKed (no endpoints will be asked for)', () => {
    sync();
    cache.setSnapshot('p1', snapshot({ a: 40, b: 40, c: 20 }));
    reply(sent[4]!, [], 'bad cluster');
    expect(kinds(sent.slice(4))).toEqual(['clusters', 'endpoints', 'routes']);
  });

  it('does not hold a later route change when Envoy keeps refusing a cluster', () => {
    sync();
    cache.setSnapshot('p1', snapshot({ a: 40, b: 40, c: 20 }));
    reply(sent[4]!, [], 'bad cluster');
    reply(sent[5]!, ['a', 'b']);
    reply(sent[6]!, ['routes']);
    cache.setSnapshot('p1', snapshot({ a: 30, b: 50, c: 20 }));
    expect(kinds(sent.slice(7))).toEqual(['routes']);
  });

  it('keeps removed clusters in CDS until Envoy has answered the routes that no longer use them', () => {
    sync();
    cache.setSnapshot('p1', snapshot({ a: 100 }));
    const latest = cache.getSnapshot('p1')!.types.clusters.version;
    // CDS with `a` and the removed `b` (a version of its own), EDS as it changed, then RDS.
    expect(kinds(sent.slice(4))).toEqual(['clusters', 'endpoints', 'routes']);
    expect(sent[4]).toMatchObject({ version_info: `${latest}+keep` });
    expect(sent[4]!.resources).toHaveLength(2);
    reply(sent[4]!);
    reply(sent[5]!, ['a', 'b']);
    expect(sent[5]!.resources).toHaveLength(2); // b's endpoints are still served while b is kept
    expect(sent).toHaveLength(7);
    expect(state('clusters').state).toBe('STALE');
    reply(sent[6]!, ['routes']);
    // Only now the final CDS, at the cache's version, without `b`.
    expect(kinds(sent.slice(7))).toEqual(['clusters']);
    expect(sent[7]).toMatchObject({ version_info: latest });
    expect(sent[7]!.resources).toHaveLength(1);
    reply(sent[7]!);
    reply(sent[5]!, ['a']);
    expect(kinds(sent.slice(8))).toEqual(['endpoints']);
    reply(sent[8]!, ['a']);
    for (const kind of ['clusters', 'endpoints', 'listeners', 'routes'] as const) expect(state(kind).state, kind).toBe('SYNCED');
  });

  it('lets the final CDS go when the new routes are NACKed', () => {
    sync();
    cache.setSnapshot('p1', snapshot({ a: 100 }));
    reply(sent[6]!, ['routes'], 'bad route');
    expect(kinds(sent.slice(7))).toEqual(['clusters']);
    expect(sent[7]!.resources).toHaveLength(1);
  });

  it('removes clusters at once when LDS and RDS do not change', () => {
    sync();
    const both = snapshot({ a: 50, b: 50 });
    // The routes stay the same, to `a` and `b`; only the unused cluster `c` goes.
    const extra = snapshot({ a: 40, b: 40, c: 20 });
    cache.setSnapshot('p1', { ...both, clusters: extra.clusters, endpoints: extra.endpoints });
    reply(sent[4]!);
    reply(sent[5]!, ['a', 'b', 'c']);
    reply(sent.at(-1)!, ['a', 'b', 'c']);
    const from = sent.length;
    cache.setSnapshot('p1', both);
    expect(kinds(sent.slice(from))).toEqual(['clusters', 'endpoints']);
    expect(sent[from]).toMatchObject({ version_info: cache.getSnapshot('p1')!.types.clusters.version });
    expect(sent[from]!.resources).toHaveLength(2);
  });

  it('ignores types it does not serve, and wants the node id first', () => {
    stream.onRequest({ node: NODE, version_info: '', resource_names: [], type_url: 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig', response_nonce: '' });
    expect(sent).toEqual([]);
    const anonymous = new AdsStream({ cache, board, send: () => {}, nonce: () => 'x' });
    expect(() => anonymous.onRequest({ version_info: '', resource_names: [], type_url: TYPE_URLS.clusters, response_nonce: '' })).toThrow(XdsProtocolError);
  });

  it('marks the proxy disconnected on close, unless a newer stream took it over', () => {
    sync();
    const newer = new AdsStream({ cache, board, send: () => {}, nonce: () => 'x' });
    newer.onRequest({ node: NODE, version_info: '', resource_names: [], type_url: TYPE_URLS.clusters, response_nonce: '' });
    stream.close();
    expect(board.status()[0]!.connected).toBe(true);
    newer.close();
    expect(board.status()[0]!.connected).toBe(false);
  });

  it('keeps pushing to a newer stream of the proxy after the old one closes', () => {
    sync();
    const newer: DiscoveryResponse[] = [];
    const replacement = new AdsStream({ cache, board, send: (r) => newer.push(r), nonce: () => 'x' });
    replacement.onRequest({ node: NODE, version_info: '', resource_names: [], type_url: TYPE_URLS.clusters, response_nonce: '' });
    replacement.onRequest({ version_info: '', resource_names: ['routes'], type_url: TYPE_URLS.routes, response_nonce: '' });
    stream.close();
    cache.setSnapshot('p1', snapshot({ a: 90, b: 10 }));
    expect(kinds(newer)).toEqual(['clusters', 'routes', 'routes']);
    expect(sent).toHaveLength(4);
  });

  it('answers LDS with the listeners and nothing else, also before EDS was asked for', () => {
    request('clusters');
    request('listeners');
    expect(kinds(sent)).toEqual(['clusters', 'listeners']);
    expect(sent[1]!.resources.map((r) => r.value)).toEqual([cache.getSnapshot('p1')!.types.listeners.byName.get('http')!.bytes]);
  });

  it('answers a request with an empty nonce as a new subscription', () => {
    sync();
    request('endpoints', { resource_names: ['a'], version_info: sent[1]!.version_info });
    expect(kinds(sent.slice(4))).toEqual(['endpoints']);
    expect(sent[4]!.resources).toHaveLength(1);
  });

  it('takes a request with an empty nonce for neither ACK nor NACK', () => {
    request('clusters');
    request('clusters', { version_info: sent[0]!.version_info });
    request('clusters', { version_info: sent[0]!.version_info, error_detail: { code: 3, message: 'no' } });
    expect(state('clusters').state).toBe('STALE');
    expect(state('clusters').nack).toBeUndefined();
    expect(sent).toHaveLength(1);
  });

  it('ignores a stale request even when it names other resources', () => {
    sync();
    const old = sent[1]!;
    reply(sent[1]!, ['a']);
    stream.onRequest({ version_info: old.version_info, resource_names: ['b'], type_url: old.type_url, response_nonce: old.nonce });
    expect(kinds(sent.slice(4))).toEqual(['endpoints']);
    expect(sent).toHaveLength(5);
  });

  it('takes a reply with the nonce but another version and no error for no ACK', () => {
    request('clusters');
    stream.onRequest({ version_info: 'other', resource_names: [], type_url: sent[0]!.type_url, response_nonce: sent[0]!.nonce });
    expect(state('clusters').state).toBe('STALE');
  });

  it('answers EDS again after a CDS that changed its clusters (Envoy warms them until it hears), then not again', () => {
    sync();
    const base = snapshot();
    cache.setSnapshot('p1', { ...base, clusters: base.clusters.map((c) => ({ ...c, value: { ...c.value, connect_timeout: '2s' } })) });
    const cds = sent.length - 1;
    expect(kinds(sent.slice(cds))).toEqual(['clusters']);
    const lastEds = sent.filter((r) => kindOf(r.type_url) === 'endpoints').at(-1)!;
    reply(lastEds, ['a', 'b']); // the warming clusters' watch: same names, last nonce
    expect(kinds(sent.slice(cds + 1))).toEqual(['endpoints']);
    reply(sent.at(-1)!, ['a', 'b']);
    expect(sent).toHaveLength(cds + 2);
  });

  it('does not answer the same names in another order again, and leaves out names it does not know', () => {
    sync();
    reply(sent[1]!, ['b', 'a']);
    expect(sent).toHaveLength(4);
    request('endpoints', { resource_names: ['zz', 'a'] });
    expect(sent[4]!.resources.map((r) => r.value)).toEqual([cache.getSnapshot('p1')!.types.endpoints.byName.get('a')!.bytes]);
  });

  it('answers nothing for a proxy without a snapshot, then everything it asked for once the snapshot comes', () => {
    const other = { ...NODE, id: 'p9' };
    stream.onRequest({ node: other, version_info: '', resource_names: [], type_url: TYPE_URLS.listeners, response_nonce: '' });
    stream.onRequest({ version_info: '', resource_names: [], type_url: TYPE_URLS.clusters, response_nonce: '' });
    expect(sent).toEqual([]);
    cache.setSnapshot('p9', snapshot({ a: 100 }, 'p9'));
    expect(kinds(sent)).toEqual(['clusters']); // LDS waits for Envoy to ask for the cluster's endpoints
    stream.onRequest({ version_info: '', resource_names: ['a'], type_url: TYPE_URLS.endpoints, response_nonce: '' });
    expect(kinds(sent)).toEqual(['clusters', 'endpoints', 'listeners']);
  });

  it('pushes to a stream that asked for clusters only, adding and removing clusters at once', () => {
    request('clusters');
    cache.setSnapshot('p1', snapshot({ a: 40, b: 40, c: 20 }));
    cache.setSnapshot('p1', snapshot({ a: 100 }));
    expect(kinds(sent)).toEqual(['clusters', 'clusters', 'clusters']);
    expect(sent.map((r) => r.resources.length)).toEqual([2, 3, 1]);
  });

  it('holds a listener change with a new cluster, and an LDS request meanwhile, until EDS covers the cluster', () => {
    sync();
    const next = snapshot({ a: 40, b: 40, c: 20 });
    next.listeners = [{ name: 'http', value: { ...listener('http', 'routes'), per_connection_buffer_limit_bytes: 2048 } }];
    cache.setSnapshot('p1', next);
    expect(kinds(sent.slice(4))).toEqual(['clusters', 'endpoints']);
    reply(sent[2]!); // Envoy's late ACK of the first LDS: still held
    reply(sent[5]!, ['a', 'b'], 'endpoints refused'); // a NACK of EDS releases nothing
    reply(sent[4]!);
    reply(sent[5]!, ['a', 'b']); // not yet every cluster
    expect(kinds(sent.slice(6))).toEqual([]);
    const from = sent.length;
    request('endpoints', { resource_names: ['a', 'b', 'c'], response_nonce: sent[5]!.nonce, version_info: sent[5]!.version_info });
    expect(kinds(sent.slice(from))).toEqual(['endpoints', 'listeners', 'routes']);
    expect(sent[from + 1]!.resources).toHaveLength(1);
  });

  it('sends removed clusters in CDS only, not in LDS, while they are kept', () => {
    sync();
    const next = snapshot({ a: 100 });
    next.listeners = [{ name: 'http', value: { ...listener('http', 'routes'), per_connection_buffer_limit_bytes: 2048 } }];
    cache.setSnapshot('p1', next);
    expect(kinds(sent.slice(4))).toEqual(['clusters', 'endpoints', 'listeners', 'routes']);
    expect(sent[4]!.resources).toHaveLength(2);
    expect(sent[6]!.resources).toHaveLength(1);
  });

  it('reports what it pushed, by name, and the service and version the node says', () => {
    const other = new StatusBoard(cache);
    const heard: XdsEvent[] = [];
    other.subscribe((e) => heard.push(e));
    const s = new AdsStream({ cache, board: other, send: () => {}, nonce: () => 'n' });
    s.onRequest({ node: { id: 'p1', cluster: 'x', metadata: { service: 'reviews', version: 'v7' } }, version_info: '', resource_names: [], type_url: TYPE_URLS.clusters, response_nonce: '' });
    expect(heard.at(-1)).toMatchObject({ type: 'pushed', kind: 'clusters', resources: ['a', 'b'] });
    expect(other.status()[0]).toMatchObject({ service: 'reviews', version: 'v7' });
  });

  it('takes the service and version from the snapshot when the node has none, empty or not a string', () => {
    const other = new StatusBoard(cache);
    const s = new AdsStream({ cache, board: other, send: () => {}, nonce: () => 'n' });
    s.onRequest({ node: { id: 'p1', cluster: 'x', metadata: { service: '', version: 7 } }, version_info: '', resource_names: [], type_url: TYPE_URLS.clusters, response_nonce: '' });
    expect(other.status()[0]).toMatchObject({ service: 'svc', version: 'v1' });
  });
});
