// The gRPC surface of the ADS server, through a grpc-js client: SotW answered, delta refused,
// a stream without a node id refused.
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
