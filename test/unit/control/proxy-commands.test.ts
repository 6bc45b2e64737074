// mesh proxy-status and mesh proxy-config against a real API whose xDS status is given.
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SnapshotCache } from '../../../src/xds/cache.ts';
import type { ProxyStatus, SyncState, TypeStatus } from '../../../src/xds/types.ts';
import { createController } from '../../../src/control/controller.ts';
import { composeMode } from '../../../src/control/addressing-mode.ts';
import { eventLog } from '../../../src/control/events.ts';
import { startApi, type ApiServer } from '../../../src/control/api.ts';
import * as proxyStatus from '../../../src/cli/commands/proxy-status.ts';
import * as proxyConfig from '../../../src/cli/commands/proxy-config.ts';

const EXAMPLE = new URL('../../../examples/canary/', import.meta.url).pathname;

const type = (state: SyncState, extra: TypeStatus = {}) => ({ state, ...extra });
const PROXIES: ProxyStatus[] = [
  {
    id: 'mesh-gateway',
    connected: true,
    types: {
      listeners: type('SYNCED', { lastAckLatencyMs: 4 }),
      routes: type('NACK', { nack: { version: 'abc123', message: 'Unknown cluster outbound|9080|v9|reviews', at: 1 }, lastAckLatencyMs: 7 }),
      clusters: type('SYNCED', { lastAckLatencyMs: 3 }),
      endpoints: type('STALE'),
      secrets: type('NOT USED'),
      runtime: type('NOT USED'),
    },
    subscribed: ['listeners', 'routes', 'clusters', 'endpoints'],
    sync: 'NACK',
  },
  {
    id: 'reviews-v1',
    service: 'reviews',
    version: 'v1',
    connected: false,
    types: { listeners: type('NOT SENT'), routes: type('NOT SENT'), clusters: type('NOT SENT'), endpoints: type('NOT SENT'), secrets: type('NOT USED'), runtime: type('NOT USED') },
    subscribed: [],
    sync: 'NOT SENT',
  },
  {
    // On Compose: Envoy finds endpoints by DNS and never asks for EDS.
    id: 'reviews-v2',
    service: 'reviews',
    version: 'v2',
    connected: true,
    types: { listeners: type('SYNCED'), routes: type('SYNCED'), clusters: type('SYNCED', { lastAckLatencyMs: 2 }), endpoints: type('NOT USED', { resources: 0 }), secrets: type('NOT USED'), runtime: type('NOT USED') },
    subscribed: ['listeners', 'routes', 'clusters'],
    sync: 'SYNCED',
  },
];

let api: ApiServer;
let apiUrl: string;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'localmesh-proxy-commands-'));
  await cp(EXAMPLE, dir, { recursive: true });
  const events = eventLog();
  const controller = createController({ dir, addressing: composeMode(), cache: new SnapshotCache(), onEvent: (e) => events.publish(e) });
  await controller.reload();
  api = await startApi({ port: 0, controller, xds: { status: () => PROXIES }, events, traffic: { report: () => ({ at: 0, windowMs: 0, proxies: [], routes: [], subsets: [] }) } });
  apiUrl = `http://127.0.0.1:${api.port}`;
});
afterAll(() => api.close());

async function output(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    return { code: await run(), out: lines.join('\n') };
  } finally {
    log.mockRestore();
  }
}

describe('mesh proxy-status', () => {
  it('a row per proxy with the state of each type, the slowest last ACK, and the NACK message after', async () => {
    const { code, out } = await output(() => proxyStatus.run({ api: apiUrl }));
    expect(code).toBe(0);
    expect(out.split('\n').slice(1, 5)).toEqual([
      'PROXY         CONNECTED  CDS       LDS       EDS       RDS       LAST ACK',
      'mesh-gateway  yes        SYNCED    SYNCED    STALE     NACK      7 ms',
      'reviews-v1    no         NOT SENT  NOT SENT  NOT SENT  NOT SENT  -',
      'reviews-v2    yes        SYNCED    SYNCED    -         SYNCED    2 ms',
    ]);
    expect(out).not.toMatch(/reviews-v2 .*NOT SENT/);
    expect(out).toMatch(/^Serving version 1-[0-9a-f]{8} of /);
    expect(out).toContain('mesh-gateway rejected RDS version abc123: Unknown cluster outbound|9080|v9|reviews');
  });
});

describe('mesh proxy-config', () => {
  it('summarises the gateway: its listener, route weights, clusters', async () => {
    const { code, out } = await output(() => proxyConfig.run(['mesh-gateway'], { api: apiUrl }));
    expect(code).toBe(0);
    expect(out).toContain('gateway_80  0.0.0.0:80  all    routes http.80');
    expect(out).toContain('outbound|9080|v1|reviews.default.svc.cluster.local 90, outbound|9080|v2|reviews.default.svc.cluster.local 10');
    expect(out).toContain('reviews.default.svc.cluster.local  9080  v2      outbound   STRICT_DNS  reviews-v2-proxy:9080');
  });

  it('-o json prints the resources of one type as the API has them', async () => {
    const { out } = await output(() => proxyConfig.run(['reviews-v1', 'clusters'], { api: apiUrl, output: 'json' }));
    const config = JSON.parse(out);
    expect(Object.keys(config.resources)).toEqual(['clusters']);
    expect(config.resources.clusters.map((c: { name: string }) => c.name)).toContain('inbound|9080||');
  });

  it('an unknown proxy is a sentence naming the known ones; a wrong type is a usage error', async () => {
    const errors: string[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    try {
      expect(await proxyConfig.run(['ratings-v1'], { api: apiUrl })).toBe(1);
    } finally {
      error.mockRestore();
    }
    expect(errors).toEqual(['mesh proxy-config: No proxy ratings-v1 in the mesh; the proxies are mesh-gateway, reviews-v1, reviews-v2.']);
    await expect(proxyConfig.run(['reviews-v1', 'cookies'], { api: apiUrl })).rejects.toThrow("'cookies' is not a resource type");
  });
});
