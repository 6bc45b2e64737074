// Past the mesh's edge on the process runtime, as a user runs it: `mesh up --runtime process`
// with the example app, whose fetch calls go through its sidecar (HTTP_PROXY, a CONNECT tunnel
// for http:// as undici opens it) to a server outside the mesh on 127.0.0.1, named by a
// ServiceEntry. A fault on the external host applies; a file save to REGISTRY_ONLY turns an
// unknown host's answer into Istio's 502.
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../helpers/ports.ts';
import { send } from '../../helpers/traffic.ts';
import { mesh, meshWith, processesIn, sleep } from './harness.ts';

const APP = new URL('../../../examples/app/', import.meta.url).pathname;

let root: string;
let dir: string;
let external: Server;
let externalPort: number;
let gatewayPort: number;

const meshYaml = (mode: string) => `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: egress}
spec:
  settings:
    outboundTrafficPolicy: {mode: ${mode}}
    gateway: {ports: {"80": ${gatewayPort}}}
  services:
    web:
      ports: [{port: 9080}]
      versions:
        v1:
          command: [node, ../app/server.mjs]
          env:
            SERVICE: web
            UPSTREAMS: http://api.external.test/rates,http://api.external.test/teapot,http://unknown.external.test/
          healthcheck: {path: /healthz}
`;

const routes = () => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [edge]
  http: [{route: [{destination: {host: web}}]}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: rates-api}
spec:
  hosts: [api.external.test]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {http: ${externalPort}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: rates-api}
spec:
  hosts: [api.external.test]
  http:
  - match: [{uri: {prefix: /teapot}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: api.external.test}}]
  - route: [{destination: {host: api.external.test}}]
`;

interface Reply {
  upstreams: { url: string; status: number; body?: unknown }[];
}

async function upstreams(): Promise<Map<string, { status: number; body?: unknown }>> {
  const response = await send({ port: gatewayPort, path: '/', headers: { host: 'shop.local' } });
  const reply = JSON.parse(response.body) as Reply;
  return new Map(reply.upstreams.map((u) => [u.url, u]));
}

beforeAll(async () => {
  external = createServer((req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ external: true, host: req.headers.host, path: req.url })));
  external.listen(0, '127.0.0.1');
  await once(external, 'listening');
  externalPort = (external.address() as AddressInfo).port;
  [gatewayPort] = (await freePorts(1)) as [number];
  root = await mkdtemp(join(tmpdir(), 'localmesh-process-egress-'));
  dir = join(root, 'egress');
  await cp(APP, join(root, 'app'), { recursive: true });
  await mkdir(dir);
  await writeFile(join(dir, 'mesh.yaml'), meshYaml('ALLOW_ANY'));
  await writeFile(join(dir, 'routes.yaml'), routes());
  const up = await meshWith({}, 'up', '--runtime', 'process', '-d', dir);
  expect(up.code, up.stdout + up.stderr).toBe(0);
}, 90_000);

afterAll(async () => {
  if (dir) {
    await mesh('down', dir);
    expect(await processesIn(dir)).toEqual([]);
  }
  external?.close();
  if (root) await rm(root, { recursive: true, force: true });
}, 30_000);

describe('an app on the process runtime calling hosts outside the mesh', () => {
  it("reaches the ServiceEntry host by its made-up name through its sidecar, and the host's VirtualService fault applies", async () => {
    const calls = await upstreams();
    expect(calls.get('http://api.external.test/rates')).toMatchObject({ status: 200, body: { external: true, host: 'api.external.test', path: '/rates' } });
    expect(calls.get('http://api.external.test/teapot')?.status).toBe(418);
    // ALLOW_ANY: the unknown name goes where the app sent it; it resolves nowhere, so Envoy answers, not Istio's 502.
    expect(calls.get('http://unknown.external.test/')?.status).not.toBe(502);
  });

  it('REGISTRY_ONLY, saved into the Mesh, answers the unknown host 502 while the ServiceEntry host keeps working', async () => {
    await writeFile(join(dir, 'mesh.yaml'), meshYaml('REGISTRY_ONLY'));
    let calls = await upstreams();
    for (let i = 0; i < 100 && calls.get('http://unknown.external.test/')?.status !== 502; i++) {
      await sleep(100);
      calls = await upstreams();
    }
    expect(calls.get('http://unknown.external.test/')?.status).toBe(502);
    expect(calls.get('http://api.external.test/rates')?.status).toBe(200);
  });
});
