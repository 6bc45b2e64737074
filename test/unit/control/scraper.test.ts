// The stats scraper against real HTTP servers on loopback, with the host name lookup counted:
// what it costs stays bounded however many proxies there are and however many cannot be reached.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startScraper, type Scraper } from '../../../src/control/scraper.ts';

const servers: Server[] = [];
const scrapers: Scraper[] = [];
afterEach(async () => {
  for (const s of scrapers.splice(0)) s.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** An Envoy /stats stand-in; `status()` decides each answer. */
async function statsServer(status: () => number = () => 200): Promise<{ port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.headers.host} ${req.url}`);
    res.writeHead(status(), { 'content-type': 'application/json' }).end(JSON.stringify({ stats: [{ name: 'server.uptime', value: 5 }] }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, requests };
}

function scraper(options: Parameters<typeof startScraper>[0]): Scraper {
  const s = startScraper({ intervalMs: 60_000, ...options });
  scrapers.push(s);
  return s;
}

describe('the stats scraper', () => {
  it('looks a host name up once while its proxy answers, and again after a failure', async () => {
    let status = 200;
    const envoy = await statsServer(() => status);
    const lookups: string[] = [];
    const s = scraper({
      targets: () => [{ proxy: 'a-v1', statsUrl: `http://a-v1-proxy:${envoy.port}/stats` }],
      lookup: async (host) => (lookups.push(host), '127.0.0.1'),
    });
    for (let i = 0; i < 3; i++) await s.scrape();
    expect(lookups).toEqual(['a-v1-proxy']);
    expect(envoy.requests).toHaveLength(3);
    expect(envoy.requests[0]).toMatch(new RegExp(`^127\\.0\\.0\\.1:${envoy.port} /stats\\?format=json`));
    expect(s.report().proxies).toMatchObject([{ proxy: 'a-v1', url: `http://a-v1-proxy:${envoy.port}/stats`, reachable: true }]);
    status = 503;
    await s.scrape();
    expect(s.report().proxies).toMatchObject([{ proxy: 'a-v1', reachable: false, error: `HTTP 503 from http://a-v1-proxy:${envoy.port}/stats` }]);
    status = 200;
    await s.scrape();
    expect(lookups).toEqual(['a-v1-proxy', 'a-v1-proxy']);
    expect(s.report().proxies[0]!.reachable).toBe(true);
  });

  it('forgets what it knew of a proxy that left the mesh: back, it is looked up again', async () => {
    const envoy = await statsServer();
    const lookups: string[] = [];
    let present = true;
    const s = scraper({
      targets: () => (present ? [{ proxy: 'a-v1', statsUrl: `http://a-v1-proxy:${envoy.port}/stats` }] : []),
      lookup: async (host) => (lookups.push(host), '127.0.0.1'),
    });
    await s.scrape();
    present = false;
    await s.scrape();
    expect(s.report().proxies).toEqual([]);
    present = true;
    await s.scrape();
    expect(lookups).toEqual(['a-v1-proxy', 'a-v1-proxy']);
  });

  it('tries a proxy that keeps failing less and less often (rounds 1, 2, 4, 8, then every 5th), and at once again once it answers', async () => {
    const attempts: number[] = [];
    let round = 0;
    let resolves = false;
    const envoy = await statsServer();
    const s = scraper({
      targets: () => [{ proxy: 'gone-v1', statsUrl: `http://gone-v1-proxy:${envoy.port}/stats` }],
      lookup: async (host) => {
        attempts.push(round);
        if (resolves) return '127.0.0.1';
        throw new Error(`getaddrinfo ENOTFOUND ${host}`);
      },
    });
    for (round = 1; round <= 18; round++) await s.scrape();
    expect(attempts).toEqual([1, 2, 4, 8, 13, 18]);
    expect(s.report().proxies).toMatchObject([{ proxy: 'gone-v1', reachable: false, error: 'getaddrinfo ENOTFOUND gone-v1-proxy' }]);
    resolves = true;
    for (; round <= 24; round++) await s.scrape();
    expect(attempts).toEqual([1, 2, 4, 8, 13, 18, 23]); // then the address is kept
    expect(envoy.requests).toHaveLength(2); // rounds 23 and 24
    expect(s.report().proxies[0]!.reachable).toBe(true);
  });

  it('keeps at most `concurrency` scrapes in flight, lookups included, and scrapes every proxy of the round', async () => {
    const envoy = await statsServer();
    let inFlight = 0;
    let most = 0;
    const s = scraper({
      concurrency: 3,
      targets: () => Array.from({ length: 10 }, (_, i) => ({ proxy: `p${i}`, statsUrl: `http://p${i}:${envoy.port}/stats` })),
      lookup: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return '127.0.0.1';
      },
    });
    await s.scrape();
    expect(most).toBe(3);
    expect(envoy.requests).toHaveLength(10);
  });

  it('starts no more scrapes once closed, even in the middle of a round', async () => {
    const looked: string[] = [];
    const s = scraper({
      concurrency: 1,
      targets: () => ['a', 'b', 'c'].map((p) => ({ proxy: p, statsUrl: `http://${p}:1/stats` })),
      lookup: async (host) => {
        looked.push(host);
        s.close();
        throw new Error('unreachable');
      },
    });
    await s.scrape();
    expect(looked).toEqual(['a']);
  });
});
