// The trace store (bounded: LRU by trace count, spans per trace) and how traces are shown: the
// list line, the waterfall and OTLP JSON.
import { describe, expect, it } from 'vitest';
import { otlpJson, traceLine, treeOrder, waterfall } from '../../../src/control/trace-view.ts';
import { traceStore, type TraceSpan } from '../../../src/control/traces.ts';
import type { Span } from '../../../src/xds/trace-service.ts';

const T = 1_800_000_000_000;

function span(traceId: string, spanId: string, parentSpanId: string, proxy: string, start: number, end: number, extra: Partial<Span> = {}): Span {
  const nanos = (ms: number) => String(BigInt(T + ms) * 1_000_000n);
  return {
    traceId, spanId, parentSpanId, name: 'ingress', kind: 2, proxy, status: 0,
    startMs: T + start, endMs: T + end, startNanos: nanos(start), endNanos: nanos(end),
    attributes: { 'http.method': 'GET', 'http.url': `http://${proxy}/x`, 'http.status_code': '200' },
    ...extra,
  };
}

/** gateway (0–100 ms) → frontend (5–95) → catalog (10–60) → pricing (20–40); frontend → cart (70–90). */
const SHOP = [
  span('t1', 'a', '', 'mesh-gateway', 0, 100),
  span('t1', 'c', 'b', 'catalog-v1', 10, 60),
  span('t1', 'b', 'a', 'frontend-v1', 5, 95),
  span('t1', 'e', 'b', 'cart-v1', 70, 90, { status: 2, attributes: { 'http.status_code': '503', error: 'true' } }),
  span('t1', 'd', 'c', 'pricing-v2', 20, 40),
];
const serviceOf = (proxy: string) => proxy.replace(/-v\d+$/, '');

describe('traceStore', () => {
  it('groups spans by trace and sums each up: root, services, duration, errors', () => {
    const store = traceStore({ serviceOf });
    store.add(SHOP.slice(0, 2));
    store.add(SHOP.slice(2));
    expect(store.list()).toEqual([
      { traceId: 't1', root: 'GET http://mesh-gateway/x', services: ['mesh-gateway', 'frontend', 'catalog', 'pricing', 'cart'], startMs: T, durationMs: 100, spans: 5, errors: 1 },
    ]);
    expect(store.get('t1')!.map((s) => [s.spanId, s.service])).toEqual([['a', 'mesh-gateway'], ['b', 'frontend'], ['c', 'catalog'], ['d', 'pricing'], ['e', 'cart']]);
    expect(store.get('T1')).toHaveLength(5);
    expect(store.get('nope')).toBeUndefined();
  });

  it('keeps the most recently added-to traces, pushing out the least recently (LRU by count), and caps spans per trace', () => {
    const store = traceStore({ maxTraces: 2, maxSpans: 2 });
    store.add([span('t1', 'a', '', 'g', 0, 1)]);
    store.add([span('t2', 'a', '', 'g', 1, 2)]);
    store.add([span('t1', 'b', 'a', 'g', 0, 1)]); // t1 is now the most recent
    store.add([span('t3', 'a', '', 'g', 2, 3)]);
    expect(store.all().map((t) => t[0]!.traceId)).toEqual(['t1', 't3']);
    store.add([span('t1', 'c', 'a', 'g', 0, 1)]);
    expect(store.get('t1')!.map((s) => s.spanId)).toEqual(['a', 'b']);
    expect(store.dropped()).toEqual({ traces: 1, spans: 1 });
  });

  it('keeps at most maxStoredSpans spans in all, pushing out the least recent traces', () => {
    const store = traceStore({ maxStoredSpans: 3 });
    store.add([span('t1', 'a', '', 'g', 0, 1), span('t1', 'b', 'a', 'g', 0, 1)]);
    store.add([span('t2', 'a', '', 'g', 1, 2)]);
    expect(store.all()).toHaveLength(2);
    store.add([span('t3', 'a', '', 'g', 2, 3)]);
    expect(store.all().map((t) => t[0]!.traceId)).toEqual(['t2', 't3']);
    store.add([span('t4', 'a', '', 'g', 3, 4), span('t4', 'b', 'a', 'g', 3, 4)]);
    expect(store.all().map((t) => t[0]!.traceId)).toEqual(['t3', 't4']);
    expect(store.dropped()).toEqual({ traces: 2, spans: 0 });
  });

  it('lists newest first, by service, by minimum duration, at most limit', () => {
    const store = traceStore({ serviceOf });
    store.add([span('fast', 'a', '', 'mesh-gateway', 0, 5), span('slow', 'a', '', 'mesh-gateway', 10, 310), span('slow', 'b', 'a', 'pricing-v1', 20, 300)]);
    expect(store.list().map((t) => t.traceId)).toEqual(['slow', 'fast']);
    expect(store.list({ service: 'pricing' }).map((t) => t.traceId)).toEqual(['slow']);
    expect(store.list({ minDurationMs: 6 }).map((t) => t.traceId)).toEqual(['slow']);
    expect(store.list({ minDurationMs: 5 }).map((t) => t.traceId)).toEqual(['slow', 'fast']);
    expect(store.list({ limit: 1 }).map((t) => t.traceId)).toEqual(['slow']);
  });
});

describe('trace views', () => {
  const store = traceStore({ serviceOf });
  store.add(SHOP);
  const spans = store.get('t1')!;

  it('orders spans as a tree: each under its parent, siblings by start; an orphan is a root', () => {
    expect(treeOrder(spans).map(({ span, depth }) => `${depth}${span.spanId}`)).toEqual(['0a', '1b', '2c', '3d', '2e']);
    const orphan = [...spans, { ...spans[3]!, spanId: 'f', parentSpanId: 'gone', startMs: T + 1 }];
    expect(treeOrder(orphan).map(({ span, depth }) => `${depth}${span.spanId}`)).toEqual(['0a', '1b', '2c', '3d', '2e', '0f']);
  });

  it('draws a waterfall: indented labels, bars where each span ran, durations; failures marked', () => {
    const lines = waterfall(spans, 80);
    expect(lines[0]).toBe('trace t1  100ms  5 spans  GET http://mesh-gateway/x');
    const bars = lines.slice(1).map((l) => /█+/.exec(l)!);
    expect(lines.slice(1).map((l) => l.length)).toEqual(Array(5).fill(lines[1]!.length));
    // gateway spans the whole width; pricing (20–40 of 100) starts a fifth in and is a fifth long.
    const [gateway, , , pricing] = bars;
    expect(gateway!.index + gateway![0].length + 9).toBeGreaterThanOrEqual(79);
    expect(pricing!.index - gateway!.index).toBe(Math.floor(0.2 * gateway![0].length));
    expect(pricing![0].length).toBe(Math.round(0.2 * gateway![0].length));
    expect(lines[4]).toMatch(/^ {6}pricing GET pricing-v2\/x 200 +█+ +20\.0ms$/);
    expect(lines[5]).toMatch(/^ {4}cart ingress 503 ! +█+ +20\.0ms$/);
  });

  it('lines up a trace on one line', () => {
    expect(traceLine(store.list()[0]!)).toBe('t1 08:00:00.000    100ms   5 spans 1 error  mesh-gateway → frontend → catalog → pricing → cart  GET http://mesh-gateway/x');
  });

  it('writes OTLP JSON: a resource per proxy named by its service, spans with hex ids and nanosecond times', () => {
    const otlp = otlpJson([spans]) as { resourceSpans: Array<{ resource: { attributes: unknown[] }; scopeSpans: Array<{ spans: any[] }> }> };
    expect(otlp.resourceSpans).toHaveLength(5);
    const pricing = otlp.resourceSpans.find((r) => JSON.stringify(r.resource).includes('pricing-v2'))!;
    expect(pricing.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'pricing' } },
      { key: 'localmesh.proxy', value: { stringValue: 'pricing-v2' } },
    ]);
    expect(pricing.scopeSpans[0]!.spans).toEqual([
      {
        traceId: 't1', spanId: 'd', parentSpanId: 'c', name: 'ingress', kind: 2,
        startTimeUnixNano: '1800000000020000000', endTimeUnixNano: '1800000000040000000',
        attributes: [
          { key: 'http.method', value: { stringValue: 'GET' } },
          { key: 'http.url', value: { stringValue: 'http://pricing-v2/x' } },
          { key: 'http.status_code', value: { stringValue: '200' } },
        ],
        status: { code: 0 },
      },
    ]);
    const root = otlp.resourceSpans.flatMap((r) => r.scopeSpans[0]!.spans).find((s) => s.spanId === 'a');
    expect(root).not.toHaveProperty('parentSpanId');
  });
});
