// Gateways on the Compose runtime: examples/canary with a second Gateway selector (its own
// gateway service, publishing its own port, serving only its own hosts) and an HTTPS server on the
// ingress gateway with the local certificate, which `mesh up` makes on the host (the control
// plane's container mounts the mesh directory read-only) signed by the mesh root.
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyStatus } from '../../src/xds/types.ts';
import { send } from '../helpers/traffic.ts';
import { apiOf, cleanUp, copyExample, docker, gatewayPort, getJson, mesh, type Example } from './harness.ts';

let example: Example | undefined;
let api = '';
let httpsPort = 0;
let edgePort = 0;
let up = '';

const gateways = (edge: number) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: secure}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [reviews.example.com]
    tls: {mode: SIMPLE}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  selector: {istio: edgegateway}
  servers:
  - port: {number: ${edge}, name: http, protocol: HTTP}
    hosts: [edge.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge-and-secure}
spec:
  hosts: [edge.example.com, reviews.example.com]
  gateways: [edge, secure]
  http:
  - route: [{destination: {host: reviews, subset: v2}}]
`;

function httpsGet(port: number, servername: string, ca: string): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, servername, path: '/', headers: { host: servername }, ca, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
    req.end();
  });
}

beforeAll(async () => {
  example = await copyExample('canary', 'gateways');
  httpsPort = await gatewayPort();
  edgePort = await gatewayPort();
  const meshFile = join(example.dir, 'mesh.yaml');
  const text = await readFile(meshFile, 'utf8');
  await writeFile(meshFile, text.replace(/("80": \d+)/, `$1\n        "443": ${httpsPort}`));
  await writeFile(join(example.dir, 'gateways.yaml'), gateways(edgePort));
  const run = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  up = run.stdout + run.stderr;
  expect(run.code, `mesh up failed:\n${up}`).toBe(0);
  api = await apiOf(example.dir);
}, 240_000);

afterAll(() => cleanUp(example), 120_000);

describe('gateways on the Compose runtime', () => {
  it('runs a gateway service per selector, each SYNCED, the second publishing its own port', async () => {
    const containers = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${example!.project}`] } });
    const services = containers.map((c) => c.Labels['com.docker.compose.service']);
    expect(services).toEqual(expect.arrayContaining(['mesh-gateway', 'mesh-gateway-edgegateway']));
    const edge = containers.find((c) => c.Labels['com.docker.compose.service'] === 'mesh-gateway-edgegateway')!;
    expect(edge.Ports.map((p) => p.PublicPort)).toContain(edgePort);
    const proxies = await getJson<ProxyStatus[]>(`${api}/proxies`);
    expect(proxies.find((p) => p.id === 'mesh-gateway-edgegateway')?.sync).toBe('SYNCED');
  });

  it('the second gateway serves only its own Gateway hosts; the ingress gateway not its', async () => {
    const edge = await send({ port: edgePort, path: '/', headers: { host: 'edge.example.com' }, timeoutMs: 5000 });
    expect([edge.status, JSON.parse(edge.body).version]).toEqual([200, 'v2']);
    expect((await send({ port: edgePort, path: '/', headers: { host: 'reviews.example.com' }, timeoutMs: 5000 })).status).toBe(404);
    // The ingress gateway's HTTPS server has no chain for the edge Gateway's host.
    const https = await httpsGet(httpsPort, 'edge.example.com', await readFile(join(example!.dir, '.mesh', 'ca', 'root-cert.pem'), 'utf8'));
    expect(https.status).toBe(0);
  });

  it('an HTTPS server with the local certificate, trusted through the root mesh up made on the host', async () => {
    const root = await readFile(join(example!.dir, '.mesh', 'ca', 'root-cert.pem'), 'utf8');
    const answer = await httpsGet(httpsPort, 'reviews.example.com', root);
    expect(answer.error).toBeUndefined();
    expect([answer.status, JSON.parse(answer.body).version]).toEqual([200, 'v2']);
    expect(up).toContain('serves a local certificate for reviews.example.com');
    await readFile(join(example!.dir, '.mesh', 'gateway-certs', 'reviews.example.com', 'tls.crt'), 'utf8');
  });
});
