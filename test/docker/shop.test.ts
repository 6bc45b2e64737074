// examples/shop on the Compose runtime: apps call each other by plain service name
// (http://pricing:9080/), and each call passes the caller's sidecar (outbound, by capture) and
// the callee's (inbound), as their Envoy counters show; replicas answer under one name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/traffic.ts';
import type { TraceSummary } from '../../src/control/traces.ts';
import { watchRequests } from '../../src/control/client.ts';
import { apiOf, cleanUp, copyExample, counter, fetchInStack, leftovers, mesh, nodeInStack, type Example } from './harness.ts';

let example: Example | undefined;
let project = '';

const PRICING_V2 = 'cluster.outbound|9080|v2|pricing.default.svc.cluster.local.upstream_rq_total';
const INBOUND = 'cluster.inbound|9080||.upstream_rq_total';

interface Body {
  service: string;
  version: string;
  upstreams?: Array<{ url: string; status: number; body: Body }>;
}

/** A 200 through the gateway (the shop's cart faults make one in twenty fail; the gateway retries most). */
async function shop(headers: Record<string, string> = {}): Promise<Body> {
  let last = '';
  for (let i = 0; i < 10; i++) {
    const response = await send({ port: example!.gatewayPort, path: '/', headers, timeoutMs: 10_000 });
    if (response.status === 200) return JSON.parse(response.body) as Body;
    last = `${response.status} ${response.body}`;
  }
  throw new Error(`no 200 from the gateway in 10 tries; last: ${last}`);
}

beforeAll(async () => {
  example = await copyExample('shop', 'shop');
  project = example.project;
  const up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
}, 240_000);

afterAll(() => cleanUp(example), 120_000);

describe('mesh up -d examples/shop', () => {
  it('frontend → catalog → pricing by plain service names, through the gateway', async () => {
    const body = await shop();
    expect(body.service).toBe('frontend');
    const catalog = body.upstreams!.find((u) => u.url === 'http://catalog:9080/items')!;
    expect(catalog.status).toBe(200);
    expect(catalog.body.service).toBe('catalog');
    expect(catalog.body.upstreams![0]).toMatchObject({ url: 'http://pricing:9080/price', status: 200, body: { service: 'pricing', version: 'v1' } });
  });

  it("catalog's call to pricing passes both sidecars: catalog's outbound and pricing's inbound counters move", async () => {
    const [outBefore, inBefore] = await Promise.all([counter(project, 'catalog-v1-proxy', PRICING_V2), counter(project, 'pricing-v2-proxy', INBOUND)]);
    const body = await shop({ 'end-user': 'tester' });
    const pricing = body.upstreams!.find((u) => u.url === 'http://catalog:9080/items')!.body.upstreams![0]!;
    expect(pricing.body).toMatchObject({ service: 'pricing', version: 'v2' });
    const [outAfter, inAfter] = await Promise.all([counter(project, 'catalog-v1-proxy', PRICING_V2), counter(project, 'pricing-v2-proxy', INBOUND)]);
    expect(outAfter - outBefore, `catalog-v1-proxy ${PRICING_V2}`).toBeGreaterThanOrEqual(1);
    expect(inAfter - inBefore, `pricing-v2-proxy ${INBOUND}`).toBeGreaterThanOrEqual(1);
  });

  it('a request is one trace with spans from the gateway and the sidecars of frontend, catalog and pricing (OTLP to mesh-control)', { timeout: 30_000 }, async () => {
    const path = `/traced-${Date.now()}`;
    const api = await apiOf(example!.dir);
    // Every request is traced while someone watches (1% otherwise): a tap stream held, as the
    // dashboard holds one; it starts once every proxy took the switch (RTDS from mesh-control).
    const unwatch = await watchRequests(api);
    for (let i = 0; i < 5 && (await send({ port: example!.gatewayPort, path, timeoutMs: 10_000 })).status !== 200; i++);
    // Each proxy exports its spans when it has 5 or every 5 s: wait for all four.
    const whole = (t?: TraceSummary) => ['mesh-gateway', 'frontend', 'catalog', 'pricing'].every((s) => t?.services.includes(s));
    let found: TraceSummary | undefined;
    for (let i = 0; i < 60 && !whole(found); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const list = (await (await fetch(`${api}/traces?limit=1000`)).json()) as TraceSummary[];
      found = list.find((t) => t.root.includes(path));
    }
    unwatch();
    expect(found?.services).toEqual(expect.arrayContaining(['mesh-gateway', 'frontend', 'catalog', 'pricing']));
    expect(found!.services[0]).toBe('mesh-gateway');
  });

  it('the Envoy admin port answers only on the loopback of its own namespace', async () => {
    const reach = await nodeInStack(project, "fetch('http://catalog-v1-proxy:15000/ready').then(() => console.log('reached'), () => console.log('refused'))");
    expect(reach.trim()).toBe('refused');
    expect(await fetchInStack(project, 'http://catalog-v1-proxy:15021/healthz/ready')).toContain('LIVE');
  });

  it('pricing v1 runs 2 replicas, each with its own sidecar, both behind pricing-v1-proxy', async () => {
    const addresses = await nodeInStack(project, "require('dns').promises.lookup('pricing-v1-proxy', { all: true }).then((a) => console.log(a.length))");
    expect(addresses.trim()).toBe('2');
  });

  it('mesh down leaves no container or network behind', async () => {
    const down = await mesh('down', example!.dir);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(await leftovers(project)).toEqual([]);
  });
});
