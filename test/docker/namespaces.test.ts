// Namespaces on Compose: the canary example plus pricing in namespace billing. The app in
// reviews-v1 (namespace default) calls pricing.billing and pricing.billing.svc.cluster.local —
// Compose network aliases of pricing's pods — through its captured sidecar; a VirtualService of
// billing exported to default puts a fault on those calls.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, copyExample, mesh, nodeInStack, type Example } from './harness.ts';

let example: Example | undefined;

const PRICING = `    pricing:
      namespace: billing
      ports: [{port: 9080}]
      versions:
        v1:
          command: [node, ../app/server.mjs]
          env: { SERVICE: pricing, VERSION: v1 }
          healthcheck: { path: /healthz }
`;

const FAULT = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pricing, namespace: billing}
spec:
  hosts: [pricing]
  exportTo: [default]
  http:
  - match: [{uri: {prefix: /teapot}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: pricing}}]
  - route: [{destination: {host: pricing}}]
`;

const get = (url: string) =>
  `require('http').get(${JSON.stringify(url)}, { timeout: 5000 }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => process.stdout.write(r.statusCode + ' ' + b.trim())); }).on('error', (e) => process.stdout.write('error ' + e.code))`;

beforeAll(async () => {
  example = await copyExample('canary', 'ns');
  const meshFile = join(example.dir, 'mesh.yaml');
  await writeFile(meshFile, `${(await readFile(meshFile, 'utf8')).trimEnd()}\n${PRICING}`);
  await appendFile(join(example.dir, 'reviews.yaml'), FAULT);
  const up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
}, 240_000);
afterAll(() => cleanUp(example), 120_000);

describe('services in two namespaces on Compose', () => {
  it('reviews (default) reaches pricing.billing by NAME.NS and by its FQDN, and the VirtualService billing exports to default applies', async () => {
    expect(await nodeInStack(example!.project, get('http://pricing.billing:9080/quote'), 'reviews-v1')).toMatch(/^200 \{"service":"pricing","version":"v1"/);
    expect(await nodeInStack(example!.project, get('http://pricing.billing.svc.cluster.local:9080/quote'), 'reviews-v1')).toMatch(/^200 \{"service":"pricing"/);
    expect(await nodeInStack(example!.project, get('http://pricing.billing:9080/teapot'), 'reviews-v1')).toMatch(/^418 /);
  });
});
