// The web view's routes on a real control-plane API (startApi with webRoutes, on a copy of the
// canary example): the page and the mesh are served to the page's own origin; a write needs this
// run's token, and a write without it, from a forged Origin or to a forged Host is refused with
// 403 and leaves the file as it was; a write with it changes only the weight numbers.
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiServer } from '../../../src/control/api.ts';
import { eventLog } from '../../../src/control/events.ts';
import { webRoutes } from '../../../src/web/routes.ts';
import { createToken, readToken, tokenFile } from '../../../src/web/token.ts';

const EXAMPLE = new URL('../../../examples/canary/', import.meta.url).pathname;
const KEY = 'default/reviews#0';

let dir: string;
let api: ApiServer;
let token: string;

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A request with exactly these headers (fetch would not let a test forge Host). */
function call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: api.port, method, path, headers, setHost: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const host = () => `127.0.0.1:${api.port}`;
const post = (weights: Record<string, number>, headers: Record<string, string>) =>
  call('POST', `/routes/${encodeURIComponent(KEY)}/weights`, { 'content-type': 'application/json', ...headers }, JSON.stringify({ weights }));
const reviews = () => readFile(join(dir, 'reviews.yaml'), 'utf8');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localmesh-web-'));
  await cp(EXAMPLE, dir, { recursive: true, filter: (src) => !src.split('/').includes('.mesh') });
  token = await createToken(dir);
  api = await startApi({
    port: 0,
    controller: { status: () => ({ dir, valid: true, version: '1', proxies: [], diagnostics: [] }) as never, snapshot: () => undefined },
    xds: { status: () => [] },
    events: eventLog(),
    traffic: { report: () => ({ at: 0, windowMs: 3000, proxies: [], routes: [], subsets: [] }) },
    routes: webRoutes({ dir, token }),
  });
});

afterAll(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the web view on the control plane', () => {
  it('keeps a random token per run, readable by the user only', async () => {
    expect(await readToken(dir)).toBe(token);
    expect(token).toMatch(/^[\w-]{32}$/);
    expect((await stat(tokenFile(dir))).mode & 0o777).toBe(0o600);
    // Another run, another token (then this run's put back: the server holds the first).
    expect(await createToken(dir)).not.toBe(token);
    await writeFile(tokenFile(dir), token);
  });

  it('serves the page with a policy that loads only its own files and forbids framing', async () => {
    const page = await call('GET', '/ui/', { host: host() });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="app.js">');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await call('GET', '/ui/app.js', { host: host() })).headers['content-type']).toMatch(/^text\/javascript/);
    expect((await call('GET', '/ui/..%2fpackage.json', { host: host() })).status).toBe(404);
    expect((await call('GET', '/ui/../../package.json', { host: host() })).status).not.toBe(200);
  });

  it('serves the mesh as the dashboard sees it: reviews v1/v2 at 90/10', async () => {
    const reply = await call('GET', '/ui/mesh', { host: host() });
    const route = (JSON.parse(reply.body) as { mesh: { routes: Array<{ key: string; destinations: Array<{ label: string; weight: number }> }> } }).mesh.routes.find((r) => r.key === KEY);
    expect(route?.destinations.map((d) => [d.label, d.weight])).toEqual([['v1', 90], ['v2', 10]]);
  });

  it('refuses a write without the token, with a wrong one, from a forged Origin or to a forged Host: 403, file unchanged', async () => {
    const before = await reviews();
    const attempts: Array<[string, Record<string, string>]> = [
      ['no token', { host: host(), origin: `http://${host()}` }],
      ['a wrong token', { host: host(), origin: `http://${host()}`, 'x-mesh-token': token.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) }],
      ['a forged Origin', { host: host(), origin: 'http://evil.example', 'x-mesh-token': token }],
      ['a forged Host', { host: 'evil.example', 'x-mesh-token': token }],
      ['a rebinding Host with its own Origin', { host: `evil.example:${api.port}`, origin: `http://evil.example:${api.port}`, 'x-mesh-token': token }],
    ];
    for (const [what, headers] of attempts) {
      const reply = await post({ v1: 50, v2: 50 }, headers);
      expect(reply.status, what).toBe(403);
      expect((JSON.parse(reply.body) as { error: string }).error, what).toMatch(/^[A-Z].*\.$/);
    }
    expect(await reviews()).toBe(before);
  });

  it('refuses weights that do not add up, with a sentence, and changes nothing', async () => {
    const before = await reviews();
    const reply = await post({ v1: 60, v2: 50 }, { host: host(), origin: `http://${host()}`, 'x-mesh-token': token });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({ error: 'The weights add up to 110, not 100.' });
    expect(await reviews()).toBe(before);
  });

  it('writes the weights with the token: only the numbers change', async () => {
    const before = await reviews();
    const reply = await post({ v1: 50, v2: 50 }, { host: host(), origin: `http://${host()}`, 'x-mesh-token': token });
    expect(reply.status, reply.body).toBe(200);
    expect((JSON.parse(reply.body) as { summary: string }).summary).toMatch(/v1 90 → 50, v2 10 → 50/);
    const after = await reviews();
    expect(after).not.toBe(before);
    expect(after.replace(/weight: \d+/g, 'weight: N')).toBe(before.replace(/weight: \d+/g, 'weight: N'));
    expect([...after.matchAll(/weight: (\d+)/g)].map((m) => m[1])).toEqual(['50', '50']);
  });
});
