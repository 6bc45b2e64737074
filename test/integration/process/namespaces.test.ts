// Two namespaces on the process runtime, as a user runs them: `mesh up --runtime process` with the
// example app. web (shop) calls pricing.billing by its namespaced names and cart by its short
// name; audit (billing) calls pricing by its short name. billing's DestinationRule, exported to
// "." only, makes billing's calls go to v2 and never reaches shop, whose own rule sends them to
// v1; a VirtualService of billing exported to shop puts a fault on shop's calls only.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../helpers/ports.ts';
import { send } from '../../helpers/traffic.ts';
import { mesh, meshWith, processesIn } from './harness.ts';

const APP = new URL('../../../examples/app/', import.meta.url).pathname;

let root: string;
let dir: string;
let gatewayPort: number;

const version = (name: string, upstreams: string, v = 'v1') => `
        ${v}:
          command: [node, ../app/server.mjs]
          env: {SERVICE: ${name}, VERSION: ${v}, UPSTREAMS: "${upstreams}"}
          healthcheck: {path: /healthz}`;

const meshYaml = () => `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: namespaces}
spec:
  settings:
    gateway: {ports: {"80": ${gatewayPort}}}
  services:
    web:
      namespace: shop
      ports: [{port: 9080}]
      versions:${version('web', 'http://pricing.billing:9080/quote,http://pricing.billing.svc.cluster.local:9080/teapot,http://cart:9080/')}
    cart:
      namespace: shop
      ports: [{port: 9080}]
      versions:${version('cart', '')}
    audit:
      namespace: billing
      ports: [{port: 9080}]
      versions:${version('audit', 'http://pricing:9080/quote,http://pricing:9080/teapot')}
    pricing:
      namespace: billing
      ports: [{port: 9080}]
      versions:${version('pricing', '')}${version('pricing', '', 'v2')}
`;

const ROUTES = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge}
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
  - match: [{uri: {prefix: /audit}}]
    route: [{destination: {host: audit.billing.svc.cluster.local}}]
  - route: [{destination: {host: web.shop.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: pricing, namespace: billing}
spec:
  host: pricing
  exportTo: ["."]
  subsets: [{name: stable, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: pricing, namespace: shop}
spec:
  host: pricing.billing.svc.cluster.local
  subsets: [{name: stable, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pricing, namespace: billing}
spec:
  hosts: [pricing]
  exportTo: ["."]
  http: [{route: [{destination: {host: pricing, subset: stable}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pricing-for-shop, namespace: billing}
spec:
  hosts: [pricing]
  exportTo: [shop]
  http:
  - match: [{uri: {prefix: /teapot}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: pricing, subset: stable}}]
  - route: [{destination: {host: pricing, subset: stable}}]
`;

interface Reply {
  service: string;
  upstreams: { url: string; status: number; body?: { service?: string; version?: string } }[];
}

async function callsOf(path: string): Promise<Map<string, { status: number; version?: string | undefined; service?: string | undefined }>> {
  const response = await send({ port: gatewayPort, path, headers: { host: 'shop.local' } });
  expect(response.status, response.body).toBe(200);
  const reply = JSON.parse(response.body) as Reply;
  return new Map(reply.upstreams.map((u) => [u.url, { status: u.status, version: u.body?.version, service: u.body?.service }]));
}

beforeAll(async () => {
  [gatewayPort] = (await freePorts(1)) as [number];
  root = await mkdtemp(join(tmpdir(), 'localmesh-process-namespaces-'));
  dir = join(root, 'namespaces');
  await cp(APP, join(root, 'app'), { recursive: true });
  await mkdir(dir);
  await writeFile(join(dir, 'mesh.yaml'), meshYaml());
  await writeFile(join(dir, 'routes.yaml'), ROUTES);
  const up = await meshWith({}, 'up', '--runtime', 'process', '-d', dir);
  expect(up.code, up.stdout + up.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (dir) {
    await mesh('down', dir);
    expect(await processesIn(dir)).toEqual([]);
  }
  if (root) await rm(root, { recursive: true, force: true });
}, 30_000);

describe('services in two namespaces on the process runtime', () => {
  it('shop calls pricing.billing by NAME.NS and by its FQDN, and cart by its short name; its own DestinationRule picks v1 and the VirtualService exported to it applies', async () => {
    for (let i = 0; i < 4; i++) {
      const calls = await callsOf('/');
      expect(calls.get('http://pricing.billing:9080/quote')).toEqual({ status: 200, service: 'pricing', version: 'v1' });
      expect(calls.get('http://pricing.billing.svc.cluster.local:9080/teapot')?.status).toBe(418);
      expect(calls.get('http://cart:9080/')).toMatchObject({ status: 200, service: 'cart' });
    }
  });

  it("billing calls pricing by its short name: its own rule (exported to '.') picks v2, and the VirtualService exported to shop does not apply", async () => {
    for (let i = 0; i < 4; i++) {
      const calls = await callsOf('/audit');
      expect(calls.get('http://pricing:9080/quote')).toEqual({ status: 200, service: 'pricing', version: 'v2' });
      expect(calls.get('http://pricing:9080/teapot')).toEqual({ status: 200, service: 'pricing', version: 'v2' });
    }
  });
});
