// Istio's egress gateway task (HTTP) on the process runtime, through real Envoys: the task's
// ServiceEntry, Gateway (selector istio: egressgateway), DestinationRule and VirtualService, with
// one change: no internet here, so the ServiceEntry for edition.cnn.com gets an endpoint, a server
// on 127.0.0.1. An app's call to http://edition.cnn.com/politics goes sidecar → egress gateway
// proxy (mesh-gateway-egressgateway, its own Envoy) → the server, and both proxies' stats count it.
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../helpers/ports.ts';
import { send } from '../../helpers/traffic.ts';
import { apiOf, mesh, meshWith, processesIn } from './harness.ts';

const APP = new URL('../../../examples/app/server.mjs', import.meta.url).pathname;
const TASK = new URL('../../fixtures/istio/egress/egress-gateway-http.yaml', import.meta.url).pathname;

const MESH = (gatewayPort: number) => `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: egress-gateway}
spec:
  settings:
    gateway:
      ports: {"80": ${gatewayPort}}
  services:
    sleep:
      ports: [{port: 9080}]
      versions:
        v1: {command: [node, server.mjs], env: {SERVICE: sleep, VERSION: v1, UPSTREAMS: "http://edition.cnn.com/politics"}, healthcheck: {path: /healthz}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [sleep.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: sleep}
spec:
  hosts: [sleep.example.com]
  gateways: [public]
  http:
  - route: [{destination: {host: sleep}}]
`;

const run = { root: '', dir: '', gatewayPort: 0, map: {} as Record<string, number> };
let external: Server;
const seen: string[] = [];

beforeAll(async () => {
  external = createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.url}`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ server: 'edition.cnn.com stand-in', host: req.headers.host, path: req.url }));
  });
  external.listen(0, '127.0.0.1');
  await once(external, 'listening');
  const externalPort = (external.address() as AddressInfo).port;

  run.root = await mkdtemp(join(tmpdir(), 'localmesh-process-egress-gateway-'));
  run.dir = join(run.root, 'egress-gateway');
  await mkdir(run.dir);
  await cp(APP, join(run.dir, 'server.mjs'));
  [run.gatewayPort] = (await freePorts(1)) as [number];
  await writeFile(join(run.dir, 'mesh.yaml'), MESH(run.gatewayPort));
  const task = await readFile(TASK, 'utf8');
  const reachable = task.replace('  resolution: DNS\n', `  resolution: DNS\n  endpoints: [{address: localhost, ports: {http-port: ${externalPort}}}]\n`);
  expect(reachable).not.toBe(task);
  await writeFile(join(run.dir, 'egress-gateway.yaml'), reachable);
  const up = await meshWith({}, 'up', '--runtime', 'process', '-d', run.dir);
  expect(up.code, up.stdout + up.stderr).toBe(0);
  await apiOf(run.dir);
  run.map = (JSON.parse(await readFile(join(run.dir, '.mesh', 'process', 'addressing.json'), 'utf8')) as { ports: Record<string, number> }).ports;
}, 120_000);

afterAll(async () => {
  external?.close();
  if (!run.dir) return;
  await mesh('down', run.dir);
  expect(await processesIn(run.dir)).toEqual([]);
  await rm(run.root, { recursive: true, force: true });
}, 30_000);

/** A counter of a proxy's Envoy (its admin port from the port map). */
async function counter(proxy: string, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${run.map[`admin ${proxy}`]}/stats?filter=${encodeURIComponent(name)}`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}: `));
  return Number(line?.split(': ')[1] ?? 0);
}

describe("Istio's egress gateway task (HTTP) on the process runtime", () => {
  it('routes the sidecar → the egress gateway → edition.cnn.com, and both proxies count the requests', async () => {
    const toGateway = 'cluster.outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local.upstream_rq_total';
    const toExternal = 'cluster.outbound|80||edition.cnn.com.upstream_rq_total';
    const before = { sidecar: await counter('sleep-v1', toGateway), gateway: await counter('mesh-gateway-egressgateway', toExternal) };
    for (let i = 0; i < 5; i++) {
      const r = await send({ port: run.gatewayPort, path: '/', headers: { host: 'sleep.example.com' }, timeoutMs: 10_000 });
      expect(r.status, r.body).toBe(200);
      const call = JSON.parse(r.body).upstreams[0];
      expect([call.status, call.body.server, call.body.path]).toEqual([200, 'edition.cnn.com stand-in', '/politics']);
    }
    expect(seen.at(-1)).toBe('edition.cnn.com /politics');
    expect(await counter('sleep-v1', toGateway)).toBe(before.sidecar + 5);
    expect(await counter('mesh-gateway-egressgateway', toExternal)).toBe(before.gateway + 5);
  });
});
