// `mesh load` against a local server that answers as the example app does (JSON with `version`,
// header x-version), 75% v1 and 25% v2, with a 503 now and then: the rate, the tally, the JSON.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../src/load/generator.ts';
import { percentile, startLoad } from '../../src/load/generator.ts';
import { mesh } from '../integration/process/harness.ts';

let server: Server;
let url = '';
const seen: Array<{ header?: string }> = [];

beforeAll(async () => {
  let n = 0;
  server = createServer((req, res) => {
    seen.push({ header: req.headers['end-user'] as string | undefined });
    const i = n++;
    const version = i % 4 === 3 ? 'v2' : 'v1';
    // Every 20th request fails; v2 answers by body only (no header), as Envoy-less apps might.
    const status = i % 20 === 19 ? 503 : 200;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(version === 'v1' ? { 'x-version': version } : {}) };
    setTimeout(() => res.writeHead(status, headers).end(JSON.stringify({ service: 'reviews', version })), 2);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('mesh load', () => {
  it('sends at the fixed rate and tallies versions, statuses and headers (--json)', async () => {
    seen.length = 0;
    const out = await mesh('load', url, '--rps', '200', '--duration', '1s', '-H', 'end-user: jason', '--json');
    expect(out.code, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as LoadResult;
    // 200/s for a second: 200 requests, give or take the last tick.
    expect(result.requests).toBeGreaterThanOrEqual(180);
    expect(result.requests).toBeLessThanOrEqual(201);
    expect(result.byVersion.v1! + result.byVersion.v2!).toBe(result.requests);
    expect(Math.abs(result.byVersion.v2! / result.requests - 0.25)).toBeLessThan(0.02);
    expect(result.byStatus['503']).toBe(Math.floor(result.requests / 20));
    expect(result.p50Ms).toBeGreaterThanOrEqual(2);
    expect(result.p50Ms! <= result.p90Ms! && result.p90Ms! <= result.p99Ms!).toBe(true);
    expect(seen.every((s) => s.header === 'jason')).toBe(true);
  });

  it('prints the tally in lines', async () => {
    const out = await mesh('load', url, '--rps', '100', '--duration', '500ms');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^Sending 100 requests\/s to http:\/\/127\.0\.0\.1:\d+\/ for 500ms \(at most 32 at a time\)$/m);
    expect(out.stdout).toMatch(/^\d+ requests in 0\.\d s \([\d.]+\/s of 100\/s asked\)$/m);
    expect(out.stdout).toMatch(/^Versions: {2}v1 \d+ \(\d+\.\d%\), v2 \d+ \(\d+\.\d%\)$/m);
    expect(out.stdout).toMatch(/^Statuses: {2}200 \d+ \(\d+\.\d%\), 503 \d+/m);
    expect(out.stdout).toMatch(/^Latency: {3}p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms$/m);
  });

  it('says what is wrong in sentences', async () => {
    expect((await mesh('load', url, '--rps', '0')).stderr).toContain('--rps is a number of requests per second above 0, not 0.');
    expect((await mesh('load', url, '--duration', 'soon')).stderr).toContain('--duration is a duration such as 10s or 500ms, not soon.');
    expect((await mesh('load', url, '-H', 'nocolon')).stderr).toContain("-H 'nocolon' is not 'Name: value'.");
    const none = await mesh('load', '--dir', tmpdir());
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no URL given, and no mesh runs in ${tmpdir()}`);
    const missing = await mesh('load', '--dir', '/nonexistent');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('/nonexistent is not a directory');
    const neither = await mesh('load', 'reviews', '--dir', tmpdir());
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('reviews is neither a URL (http://HOST:PORT/PATH) nor a mesh directory');
    const refused = await mesh('load', 'http://127.0.0.1:1/', '--rps', '20', '--duration', '200ms');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/Errors: {4}ECONNREFUSED ×\d+/);
  });

  it('bounds the requests in flight and changes rate while running', async () => {
    const load = startLoad({ url, rps: 1000, concurrency: 2 });
    await new Promise((r) => setTimeout(r, 300));
    // Two in flight at ~2 ms each: far below 1000/s.
    expect(load.result().rps).toBeLessThan(1000);
    load.setRate(50);
    const before = load.result().requests;
    await new Promise((r) => setTimeout(r, 400));
    const final = await load.stop();
    expect(final.requests - before).toBeGreaterThanOrEqual(15);
    expect(final.requests - before).toBeLessThanOrEqual(25);
    expect(final.targetRps).toBe(50);
  });

  it('takes percentiles as the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 0.5), percentile(values, 0.9), percentile(values, 0.99)]).toEqual([50, 90, 99]);
    expect(percentile([], 0.5)).toBeNull();
  });
});
