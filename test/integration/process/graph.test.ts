// The service graph on examples/shop (process runtime): paced load through the gateway, and GET
// /graph and `mesh graph -o json` show gateway → frontend → catalog → pricing and frontend → cart,
// each edge with the requests the load sent (within 10%), from the proxies' access logs (tap).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphReport } from '../../../src/control/graph.ts';
import { send, type Response } from '../../helpers/traffic.ts';
import { getJson, mesh, sleep, upExample, watching } from './harness.ts';

const shop = upExample('shop');
let tty: ChildProcessWithoutNullStreams | undefined;
let unwatch: (() => void) | undefined;
// The proxies report every request while someone watches: here a tap stream, as the dashboard holds one.
beforeAll(async () => {
  unwatch = await watching(shop.api);
});
afterAll(() => {
  tty?.kill('SIGKILL'); // before upExample's mesh down (after-hooks run last registered first)
  unwatch?.();
});

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>78]/g, '');

/** `count` requests to the gateway, one every `everyMs`, not waiting for each other. */
async function pacedLoad(count: number, everyMs: number): Promise<Response[]> {
  const sent: Array<Promise<Response>> = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    await sleep(Math.max(0, start + i * everyMs - performance.now()));
    sent.push(send({ port: shop.gatewayPort, path: `/graph-${i}`, timeoutMs: 10_000 }));
  }
  return Promise.all(sent);
}

const edgeOf = (report: GraphReport, from: string, to: string) => report.edges.find((e) => e.from === from && e.to === to);

describe('mesh graph on examples/shop', () => {
  it('shows every call of the shop with the rate the load sent', async () => {
    const count = 100;
    const responses = await pacedLoad(count, 50); // 20 requests/s for 5 s
    expect(responses.filter((r) => r.status === 0)).toEqual([]);
    await sleep(1500); // Envoy flushes its access log each second
    const byService = await getJson<GraphReport>(`${shop.api}/graph?window=10000&expand=`);
    const expected = [['mesh-gateway', 'frontend'], ['frontend', 'catalog'], ['frontend', 'cart'], ['catalog', 'pricing']] as const;
    for (const [from, to] of expected) {
      const edge = edgeOf(byService, from, to);
      console.log(`graph: ${from} → ${to}: ${edge ? `${edge.requests} requests, ${edge.rps} rps, ${(edge.errorRate * 100).toFixed(1)}% errors, p50 ${edge.p50Ms} ms, p99 ${edge.p99Ms} ms` : 'missing'}`);
      expect(edge, `${from} → ${to} in ${JSON.stringify(byService.edges)}`).toBeDefined();
      // The gateway retries a 5xx of the frontend (cart's fault, one call in twenty): behind the
      // gateway a few more calls than the load's requests, 5 on average (11 seen; 16 has odds
      // below one in a million).
      const slack = from === 'mesh-gateway' ? 0.1 : 0.15;
      expect(Math.abs(edge!.requests - count)).toBeLessThanOrEqual(count * slack);
      expect(edge!.rps).toBeCloseTo(edge!.requests / (byService.windowMs / 1000), 1);
      expect(edge!.p99Ms).toBeGreaterThanOrEqual(edge!.p50Ms);
    }
    // cart's fault (503 for one request in twenty, before any cluster: counted by authority)
    // shows on frontend → cart, and only there: each one failed a try of the frontend, which the
    // gateway retried, calling catalog once more.
    const [gateway, catalog, cart] = [edgeOf(byService, 'mesh-gateway', 'frontend')!, edgeOf(byService, 'frontend', 'catalog')!, edgeOf(byService, 'frontend', 'cart')!];
    expect(cart.requests).toBe(catalog.requests);
    expect(cart.errors).toBe(catalog.requests - gateway.requests);
    expect([catalog.errors, edgeOf(byService, 'catalog', 'pricing')!.errors]).toEqual([0, 0]);
    expect(byService.nodes.find((n) => n.service === 'mesh-gateway')).toMatchObject({ gateway: true });
    expect(byService.nodes.find((n) => n.service === 'pricing')?.versions).toContain('v1');

    // By version (the default): callers and destinations are the versions that sent and served
    // each call (found by request id, whatever the route's subsets); cart's aborted calls reached
    // no version.
    const cli = await mesh('graph', shop.dir, '--window', '10s', '-o', 'json');
    expect(cli.code, cli.stderr).toBe(0);
    const byVersion = JSON.parse(cli.stdout) as GraphReport;
    const pricing = byVersion.edges.filter((e) => e.fromService === 'catalog' && e.toService === 'pricing');
    expect(pricing.map((e) => [e.from, e.to])).toEqual([['catalog/v1', 'pricing/v1']]);
    expect(byVersion.edges.find((e) => e.from === 'mesh-gateway' && e.to === 'frontend/v1')!.requests).toBeGreaterThanOrEqual(count * 0.9);
    const toCart = byVersion.edges.filter((e) => e.from === 'frontend/v1' && e.toService === 'cart');
    expect(toCart.find((e) => e.to === 'cart/v1')).toMatchObject({ errors: 0 });
    expect(toCart.find((e) => e.to === 'cart')?.errorRate ?? 1).toBe(1);
    expect(toCart.reduce((n, e) => n + e.requests, 0)).toBe(cart.requests);

    const table = await mesh('graph', shop.dir);
    expect(table.code, table.stderr).toBe(0);
    console.log(table.stdout);
    expect(table.stdout).toMatch(/^EDGE +RPS +ERRORS +P50 +P99 +HEALTH\nmesh-gateway → frontend\/v1 /);
    expect(table.stdout).toMatch(/\n {4}catalog\/v1 → pricing\/v1 /);
  }, 60_000);

  it('the dashboard shows the graph after g, and a service by version after Enter', async () => {
    let screen = '';
    const command = `stty rows 24 cols 80; exec '${process.execPath}' bin/mesh.js dashboard '${shop.dir}'`;
    tty = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1' } });
    tty.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => tty!.on('exit', resolve));
    const until = async (what: string, pattern: RegExp, timeoutMs = 10_000) => {
      const start = performance.now();
      while (!pattern.test(plain(screen.slice(-6000)))) {
        if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms. Screen:\n${plain(screen).slice(-3000)}`);
        await sleep(50);
      }
    };
    await until('the dashboard is up', /mesh-gateway +running +SYNCED/, 15_000);
    const load = pacedLoad(60, 50);
    await sleep(300);
    tty.stdin.write('\t'); // routes → traffic
    await until('the traffic pane focused', /║Traffic/);
    tty.stdin.write('g');
    await until('the graph pane', /Graph \(last \d+ s\)/);
    await until('the edges of the shop, services added up', /gateway → frontend +\d+\.\d[\s\S]* frontend → cart +\d+\.\d[\s\S]* frontend → catalog +\d+\.\d[\s\S]*  catalog → pricing +\d+\.\d/);
    tty.stdin.write('\r'); // the first edge goes to frontend: by version
    await until('frontend by version', /gateway → frontend\/v1 +\d+\.\d[\s\S]* frontend\/v1 → cart +\d+\.\d/);
    await load;
    tty.stdin.write('q');
    expect(await Promise.race([exited, sleep(5000).then(() => 'still running')])).toBe(0);
  }, 60_000);
});
