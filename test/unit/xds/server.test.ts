// The gRPC surface of the ADS server, through a grpc-js client: SotW answered, delta refused,
// a stream without a node id refused; streams ended by the client or by close() disconnect the proxy.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPE_URLS } from '../../../src/envoy/snapshot.ts';
import { SnapshotCache } from '../../../src/xds/cache.ts';
import { adsService, type DiscoveryRequest, type DiscoveryResponse } from '../../../src/xds/messages.ts';
import { startXdsServer, type XdsServer } from '../../../src/xds/server.ts';
import { snapshot } from '../../helpers/xds-snapshots.ts';

let server: XdsServer;
let client: grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientDuplexStream<unknown, unknown>>;

beforeAll(async () => {
  const cache = new SnapshotCache();
  cache.setSnapshot('p1', snapshot());
  server = await startXdsServer({ cache, port: 0 });
  const Client = grpc.makeGenericClientConstructor(adsService, 'AggregatedDiscoveryService');
  client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as typeof client;
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

/** Open a stream, send requests, collect what comes back until the stream ends or `count` responses. */
function exchange(method: string, requests: unknown[], count = Infinity): Promise<{ responses: unknown[]; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const call = client[method]!();
    const responses: unknown[] = [];
    call.on('data', (r: unknown) => {
      responses.push(r);
      if (responses.length >= count) {
        call.cancel();
        resolve({ responses });
      }
    });
    call.on('error', (error: grpc.ServiceError) => resolve({ responses, error }));
    for (const r of requests) call.write(r);
  });
}

const request = (fields: Partial<DiscoveryRequest>): DiscoveryRequest => ({
  version_info: '',
  resource_names: [],
  type_url: TYPE_URLS.clusters,
  response_nonce: '',
  ...fields,
});

describe('the ADS server', () => {
  it('answers StreamAggregatedResources with the proxy\'s resources', async () => {
    const { responses } = await exchange('StreamAggregatedResources', [request({ node: { id: 'p1', cluster: 'svc', metadata: {} } })], 1);
    const response = responses[0] as DiscoveryResponse;
    expect(response).toMatchObject({ type_url: TYPE_URLS.clusters, nonce: expect.any(String), control_plane: { identifier: 'localmesh' } });
    expect(response.resources).toHaveLength(2);
    expect(server.status().find((p) => p.id === 'p1')!.types.clusters.state).toBe('STALE');
  });

  it('refuses a stream whose first request has no node id', async () => {
    const { error } = await exchange('StreamAggregatedResources', [request({})]);
    expect(error).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/node\.id/) });
  });

  it('answers DeltaAggregatedResources with UNIMPLEMENTED', async () => {
    const { error } = await exchange('DeltaAggregatedResources', [Buffer.alloc(0)]);
    expect(error).toMatchObject({ code: grpc.status.UNIMPLEMENTED, details: expect.stringMatching(/state-of-the-world/) });
  });
});

describe('a stream\'s life', () => {
  const node = (id: string) => ({ node: { id, cluster: 'svc', metadata: {} } });

  /** A stream of proxy `id` that has had its first response. */
  async function open(id: string): Promise<{ call: grpc.ClientDuplexStream<unknown, unknown>; first: DiscoveryResponse; ended: Promise<string> }> {
    const call = client.StreamAggregatedResources!();
    const ended = new Promise<string>((resolve) => {
      call.on('end', () => resolve('end'));
      call.on('error', (e: grpc.ServiceError) => resolve(`error ${e.code}`));
    });
    const first = await new Promise<DiscoveryResponse>((resolve) => {
      call.once('data', resolve);
      call.write(request(node(id)));
    });
    return { call, first, ended };
  }

  const connected = (id: string) => server.status().find((p) => p.id === id)?.connected;
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    return check();
  };

  it('tells subscribers, gives every response its own nonce, and disconnects the proxy when the client ends the stream', async () => {
    const events: string[] = [];
    const stop = server.subscribe((e) => events.push(`${e.type} ${e.proxy}`));
    const a = await open('p1');
    const b = await open('p1');
    expect(a.first.nonce).not.toBe(b.first.nonce);
    expect(events).toContain('connected p1');
    b.call.end();
    expect(await b.ended).toBe('end'); // the server ends its side too
    expect(await until(() => connected('p1') === false)).toBe(true);
    expect(events).toContain('disconnected p1');
    stop();
    a.call.cancel();
  });

  it('disconnects the proxy when the client cancels', async () => {
    const { call } = await open('p1');
    expect(connected('p1')).toBe(true);
    call.cancel();
    expect(await until(() => connected('p1') === false)).toBe(true);
  });

  it('close() ends every stream at once: its proxies are disconnected', async () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('p1', snapshot());
    const own = await startXdsServer({ cache, port: 0 });
    const Client = grpc.makeGenericClientConstructor(adsService, 'AggregatedDiscoveryService');
    const c = new Client(`127.0.0.1:${own.port}`, grpc.credentials.createInsecure()) as typeof client;
    const call = c.StreamAggregatedResources!();
    const ended = new Promise<void>((resolve) => call.on('error', () => resolve()));
    await new Promise((resolve) => {
      call.once('data', resolve);
      call.write(request(node('p1')));
    });
    await own.close();
    expect(own.status()[0]).toMatchObject({ id: 'p1', connected: false });
    await ended;
    c.close();
  });
});
