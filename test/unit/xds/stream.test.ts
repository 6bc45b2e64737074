// The ADS protocol of one stream, driven by hand: what is answered, when, and what is recorded.
import { beforeEach, describe, expect, it } from 'vitest';
import { TYPE_URLS, type ResourceKind } from '../../../src/envoy/snapshot.ts';
import { SnapshotCache } from '../../../src/xds/cache.ts';
import { kindOf, type DiscoveryRequest, type DiscoveryResponse } from '../../../src/xds/messages.ts';
import { StatusBoard } from '../../../src/xds/status.ts';
import { AdsStream, XdsProtocolError } from '../../../src/xds/stream.ts';
import type { XdsEvent } from '../../../src/xds/types.ts';
import { snapshot } from '../../helpers/xds-snapshots.ts';

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
    stream.onRequest({ node: NODE, version_info: '', resource_names: [], type_url: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', response_nonce: '' });
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
});
