// The HTTP API on a real socket, over a real controller and cache (no Envoy): status, proxy
// config, errors as sentences, and the event stream in order with replay.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotCache } from '../../../src/xds/cache.ts';
import { createController, type Controller, type ControlStatus } from '../../../src/control/controller.ts';
import { composeMode } from '../../../src/control/addressing-mode.ts';
import { eventLog } from '../../../src/control/events.ts';
import { startApi, type ApiServer, type ProxyConfig } from '../../../src/control/api.ts';
import type { TrafficReport } from '../../../src/control/traffic.ts';
import { readEvents } from '../../helpers/events.ts';

const EXAMPLE = new URL('../../../examples/canary/', import.meta.url).pathname;

let dir: string;
let controller: Controller;
let api: ApiServer;
const events = eventLog(5);
const url = (path: string) => `http://127.0.0.1:${api.port}${path}`;
const get = async (path: string) => {
  const response = await fetch(url(path));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const traffic: TrafficReport = { at: 0, windowMs: 10_000, proxies: [], routes: [], subsets: [] };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localmesh-api-'));
  await cp(EXAMPLE, dir, { recursive: true });
  // No periodic read-back: it would race the test's own saves (it may see a save before the watcher
  // event does, and report it first); controller.test.ts covers it.
  controller = createController({ dir, addressing: composeMode(), cache: new SnapshotCache(), onEvent: (e) => events.publish(e), debounceMs: 10, recheckMs: 0 });
  await controller.reload();
  api = await startApi({ port: 0, controller, xds: { status: () => [] }, events, traffic: { report: (windowMs) => ({ ...traffic, windowMs: windowMs ?? traffic.windowMs }) } });
});
afterAll(async () => {
  controller.close();
  await api.close();
});

/** A GET with the headers given (fetch sets Host itself), over a raw socket. */
async function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: api.port, path, headers, setHost: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8'))).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP API: only its own callers', () => {
  it('answers loopback names and IP addresses as Host', async () => {
    for (const host of [`127.0.0.1:${api.port}`, `localhost:${api.port}`, `[::1]:${api.port}`, `172.18.0.5:${api.port}`]) {
      expect((await rawGet('/status', { host })).status, host).toBe(200);
    }
  });

  it('refuses a DNS name as Host (DNS rebinding) and a request from another origin, with 403 and a sentence', async () => {
    const rebound = await rawGet('/status', { host: 'evil.example' });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error).toMatch(/^Host "evil\.example" is not this control plane's/);
    expect(rebound.body).not.toContain('"version"');
    const events = await rawGet('/events', { host: `evil.example:${api.port}` });
    expect(events.status).toBe(403);
    const cross = await rawGet('/status', { host: `127.0.0.1:${api.port}`, origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    expect(JSON.parse(cross.body).error).toMatch(/^A request from http:\/\/evil\.example is refused/);
    expect((await rawGet('/status', { host: `127.0.0.1:${api.port}`, origin: `http://127.0.0.1:${api.port}` })).status).toBe(200);
  });
});

describe('HTTP API', () => {
  it('GET /status: version, last change, valid, diagnostics', async () => {
    const { status, body } = await get('/status');
    expect(status).toBe(200);
    expect(body).toMatchObject({ dir, valid: true, diagnostics: [], proxies: ['mesh-gateway', 'reviews-v1', 'reviews-v2'] });
    expect(body.version).toMatch(/^1-[0-9a-f]{8}$/);
    expect(typeof body.lastChangeAt).toBe('number');
    expect(typeof body.publishedAt).toBe('number');
  });

  it('GET /proxies/ID/config: all six types, or one', async () => {
    const all = (await get('/proxies/mesh-gateway/config')).body as unknown as ProxyConfig;
    expect(Object.keys(all.resources)).toEqual(['listeners', 'routes', 'clusters', 'endpoints', 'secrets', 'runtime']);
    expect(all.resources.listeners![0]!.name).toBe('gateway_80');
    const routes = (await get('/proxies/mesh-gateway/config?type=routes')).body as unknown as ProxyConfig;
    expect(Object.keys(routes.resources)).toEqual(['routes']);
    expect(routes.version).toBe(all.version);
  });

  it('answers mistakes with a status and a sentence', async () => {
    expect(await get('/proxies/ratings-v1/config')).toEqual({
      status: 404,
      body: { error: 'No proxy ratings-v1 in the mesh; the proxies are mesh-gateway, reviews-v1, reviews-v2.' },
    });
    expect(await get('/proxies/reviews-v1/config?type=cookies')).toMatchObject({ status: 400, body: { error: expect.stringContaining('listeners, routes, clusters, endpoints, secrets, runtime') } });
    expect(await get('/nothing')).toMatchObject({ status: 404, body: { error: expect.stringContaining('/status') } });
    const post = await fetch(url('/status'), { method: 'POST' });
    expect([post.status, await post.json()]).toEqual([405, { error: 'POST is not supported; the API only answers GET.' }]);
  });

  it('GET /proxies and /traffic pass through what the xDS server and scraper report', async () => {
    expect(await get('/proxies')).toEqual({ status: 200, body: [] });
    expect((await get('/traffic')).body).toEqual(traffic);
    expect((await get('/traffic?window=2000')).body).toEqual({ ...traffic, windowMs: 2000 });
    expect(await get('/traffic?window=soon')).toEqual({ status: 400, body: { error: 'window=soon is not a whole number of milliseconds from 1000.' } });
  });

  it('GET /events replays what it keeps, then streams each event as it happens, in order', async () => {
    const path = join(dir, 'reviews.yaml');
    const save = async (from: string, to: string) => {
      await writeFile(path, (await readFile(path, 'utf8')).replace(from, to));
      controller.changed(path);
      await controller.idle();
    };
    // Quiet first: a read-back still due from an earlier load would see the first save before
    // controller.changed does, and report it once more.
    await controller.idle();
    const received = await readEvents(url('/events'), {
      count: 5,
      during: async () => {
        await save('subset: v2', 'subset: v9');
        await save('subset: v9', 'subset: v2');
      },
    });
    expect(received.map((e) => e.type)).toEqual(['compiled', 'changed', 'invalid', 'changed', 'unchanged']);
    expect(received.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    expect(received[2]).toMatchObject({ type: 'invalid', diagnostics: [{ file: path, line: 18, col: 21 }], serving: controller.status().version });
    for (const e of received) expect(e.at).toBeGreaterThan(0);
    expect(received.filter((e) => e.type !== 'changed').every((e) => typeof e.ms === 'number')).toBe(true);

    // A client that reconnects with Last-Event-ID gets only what it missed.
    expect((await readEvents(url('/events'), { headers: { 'last-event-id': '3' }, quietMs: 200 })).map((e) => e.id)).toEqual([4, 5]);
    expect((await get('/status')).body).toMatchObject({ valid: true });
  });
});
