// GET /traces, /traces/all and /traces/ID of the API on a real socket, over a trace store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiServer } from '../../../src/control/api.ts';
import { eventLog } from '../../../src/control/events.ts';
import { traceStore } from '../../../src/control/traces.ts';
import type { Span } from '../../../src/xds/trace-service.ts';

const span = (traceId: string, spanId: string, parentSpanId: string, proxy: string, start: number, end: number): Span => ({
  traceId, spanId, parentSpanId, name: 'ingress', kind: 2, proxy, status: 0, startMs: start, endMs: end,
  startNanos: String(start * 1e6), endNanos: String(end * 1e6), attributes: {},
});

let api: ApiServer;
const traces = traceStore({ serviceOf: (p) => p.replace(/-v\d+$/, '') });
const get = async (path: string) => {
  const response = await fetch(`http://127.0.0.1:${api.port}${path}`);
  return { status: response.status, body: (await response.json()) as any };
};

beforeAll(async () => {
  traces.add([span('aa', '1', '', 'mesh-gateway', 1000, 1200), span('aa', '2', '1', 'pricing-v1', 1010, 1100), span('bb', '1', '', 'mesh-gateway', 2000, 2005)]);
  const controller = { status: () => ({ proxies: [] }), snapshot: () => undefined } as never;
  api = await startApi({ port: 0, controller, xds: { status: () => [] }, events: eventLog(1), traffic: { report: () => ({}) as never }, traces });
});
afterAll(() => api.close());

describe('HTTP API: traces', () => {
  it('lists the traces newest first, filtered by service and minimum duration', async () => {
    expect((await get('/traces')).body.map((t: any) => t.traceId)).toEqual(['bb', 'aa']);
    expect((await get('/traces?service=pricing')).body.map((t: any) => t.traceId)).toEqual(['aa']);
    expect((await get('/traces?min-duration=100&limit=5')).body.map((t: any) => [t.traceId, t.durationMs])).toEqual([['aa', 200]]);
    expect((await get('/traces/all?service=pricing')).body.map((t: any[]) => t.map((s) => s.spanId))).toEqual([['1', '2']]);
  });

  it('gives a trace\'s spans, and sentences for what it cannot answer', async () => {
    expect((await get('/traces/aa')).body.map((s: any) => [s.spanId, s.service])).toEqual([['1', 'mesh-gateway'], ['2', 'pricing']]);
    expect(await get('/traces/cc')).toEqual({ status: 404, body: { error: expect.stringMatching(/^No trace cc is kept .*mesh traces lists them\)\.$/) } });
    expect(await get('/traces?min-duration=soon')).toEqual({ status: 400, body: { error: 'min-duration=soon is not a number from 0.' } });
    expect(await get('/traces?limit=0')).toEqual({ status: 400, body: { error: 'limit=0 is not a number from 1.' } });
  });
});
