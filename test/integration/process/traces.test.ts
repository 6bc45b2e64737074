// Traces on the process runtime (examples/shop): every proxy's OpenTelemetry tracer exports its
// spans to the control plane over OTLP/gRPC, and one request through the gateway is one trace
// with spans from the gateway and the sidecars of frontend, catalog and pricing, each linked to
// its parent (the apps forward traceparent). `mesh traces --export` writes them as OTLP JSON.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceSpan, TraceSummary } from '../../../src/control/traces.ts';
import { send } from '../../helpers/traffic.ts';
import { getJson, mesh, sleep, upExample } from './harness.ts';

const shop = upExample('shop');

/** The trace whose root is the gateway's span of `path`, once every proxy has exported it. */
async function traceOf(path: string): Promise<TraceSpan[]> {
  for (let i = 0; i < 50; i++) {
    const list = await getJson<TraceSummary[]>(`${shop.api}/traces?limit=1000`);
    const found = list.find((t) => t.root.includes(path) && t.services.includes('pricing'));
    if (found) {
      await sleep(500); // the last exports
      return getJson<TraceSpan[]>(`${shop.api}/traces/${found.traceId}`);
    }
    await sleep(200);
  }
  throw new Error(`no trace of ${path} with pricing's spans in ${JSON.stringify(await getJson(`${shop.api}/traces`))}`);
}

describe('traces', () => {
  it('one request through the gateway is one trace: gateway → frontend → catalog → pricing, parent and child linked', async () => {
    const path = `/traced-${Date.now()}`;
    let status = 0;
    for (let attempt = 0; attempt < 5 && status !== 200; attempt++) status = (await send({ port: shop.gatewayPort, path, timeoutMs: 10_000 })).status;
    expect(status).toBe(200);
    const spans = await traceOf(path);
    console.log(JSON.stringify(spans.slice(0,2), null, 1)); console.log(spans.map((s) => `${s.service} ${s.proxy} ${s.kind} ${s.name} ${s.attributes["http.url"]} ${s.spanId} ← ${s.parentSpanId}`).join("\n"));
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !ids.has(s.parentSpanId));
    expect(roots.map((s) => s.proxy)).toEqual(['mesh-gateway']);
    for (const service of ['mesh-gateway', 'frontend', 'catalog', 'pricing']) expect(spans.map((s) => s.service)).toContain(service);
  }, 60_000);
});
