// Past the mesh's edge on Compose, with transparent capture as in Istio: a server outside the
// mesh (a container of the user's compose.yaml that no sidecar captures) reached by an app
// through a ServiceEntry under a made-up name, which the pod's /etc/hosts answers with the
// address Istio's DNS proxy would give; the host's fault applies; an unknown destination passes
// through (ALLOW_ANY) until REGISTRY_ONLY, saved live, sends it to the BlackHoleCluster.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultImages } from '../../src/compose/images.ts';
import { serverCertificate } from '../helpers/certificates.ts';
import { cleanUp, copyExample, counter, mesh, nodeInStack, waitFor, type Example } from './harness.ts';

let example: Example | undefined;

const EXTERNAL = "require('http').createServer((q, s) => s.end(JSON.stringify({ external: true, host: q.headers.host, path: q.url }))).listen(8080)";

const EXTERNAL_TLS = "const fs = require('fs'); require('https').createServer({ cert: fs.readFileSync('/certs/server.pem'), key: fs.readFileSync('/certs/server-key.pem') }, (q, s) => s.end(JSON.stringify({ tls: true, servername: q.socket.servername, path: q.url }))).listen(8443)";

const ENTRY = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: rates-api}
spec:
  hosts: [api.external.test]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  endpoints: [{address: external, ports: {http: 8080}}]
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
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: secure-api}
spec:
  hosts: [secure.external.test]
  ports:
  - {number: 80, name: http-port, protocol: HTTP, targetPort: 8443}
  - {number: 443, name: https-port, protocol: HTTPS, targetPort: 8443}
  resolution: DNS
  endpoints: [{address: external-tls}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: secure-api}
spec:
  host: secure.external.test
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE, caCertificates: certs/ca.pem}
`;

/** From reviews-v1's app container (captured): the status and body of a GET, or `error …`. */
const fromApp = (url: string) =>
  nodeInStack(
    example!.project,
    `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }).then(async (r) => process.stdout.write(r.status + ' ' + await r.text()), (e) => process.stdout.write('error ' + String(e.cause?.code ?? e)))`,
    'reviews-v1',
  );

beforeAll(async () => {
  example = await copyExample('canary', 'egress');
  const { caPem, certPem, keyPem } = await serverCertificate('secure.external.test');
  await mkdir(join(example.dir, 'certs'));
  await writeFile(join(example.dir, 'certs', 'ca.pem'), caPem);
  await writeFile(join(example.dir, 'certs', 'server.pem'), certPem);
  await writeFile(join(example.dir, 'certs', 'server-key.pem'), keyPem, { mode: 0o644 });
  await writeFile(
    join(example.dir, 'compose.yaml'),
    [
      'services:',
      '  external:',
      `    image: ${defaultImages().node}`,
      `    command: ["node", "-e", ${JSON.stringify(EXTERNAL)}]`,
      '  external-tls:',
      `    image: ${defaultImages().node}`,
      `    command: ["node", "-e", ${JSON.stringify(EXTERNAL_TLS)}]`,
      '    volumes: ["./certs:/certs:ro"]',
      '',
    ].join('\n'),
  );
  await writeFile(join(example.dir, 'egress.yaml'), ENTRY);
  const up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
}, 240_000);
afterAll(() => cleanUp(example), 120_000);

describe('an app on Compose calling hosts outside the mesh', () => {
  it('resolves the ServiceEntry host to its auto-allocated address, and its sidecar routes the call to the entry\'s endpoint', async () => {
    expect(await nodeInStack(example!.project, "require('dns').lookup('api.external.test', (e, a) => process.stdout.write(e ? String(e) : a))", 'reviews-v1')).toBe('240.240.0.1');
    const before = await counter(example!.project, 'reviews-v1-proxy', 'cluster.outbound|80||api.external.test.upstream_rq_total');
    const answer = await fromApp('http://api.external.test/hello');
    expect(answer).toBe('200 {"external":true,"host":"api.external.test","path":"/hello"}');
    const after = await counter(example!.project, 'reviews-v1-proxy', 'cluster.outbound|80||api.external.test.upstream_rq_total');
    expect(after - before).toBe(1);
  });

  it("gets the host's VirtualService fault", async () => {
    expect(await fromApp('http://api.external.test/teapot')).toMatch(/^418 /);
  });

  it('TLS origination: the app calls http://, its sidecar speaks TLS to the endpoint, checked against the CA file in the mesh directory', async () => {
    expect(await fromApp('http://secure.external.test/originated')).toBe('200 {"tls":true,"servername":"secure.external.test","path":"/originated"}');
  });

  it("HTTPS from the app is routed by its SNI to the entry's port, the app's own TLS end to end", async () => {
    const script = "require('https').get({ host: 'secure.external.test', path: '/sni', rejectUnauthorized: false, timeout: 5000 }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => process.stdout.write(r.statusCode + ' ' + b)); }).on('error', (e) => process.stdout.write('error ' + e.code))";
    const before = await counter(example!.project, 'reviews-v1-proxy', 'cluster.outbound|443||secure.external.test.upstream_cx_total');
    expect(await nodeInStack(example!.project, script, 'reviews-v1')).toBe('200 {"tls":true,"servername":"secure.external.test","path":"/sni"}');
    expect(await counter(example!.project, 'reviews-v1-proxy', 'cluster.outbound|443||secure.external.test.upstream_cx_total')).toBe(before + 1);
  });

  it('ALLOW_ANY: an unknown destination passes through on its original address; REGISTRY_ONLY, saved, closes it while the entry still answers', async () => {
    expect(await fromApp('http://external:8080/direct')).toBe('200 {"external":true,"host":"external:8080","path":"/direct"}');
    const meshFile = join(example!.dir, 'mesh.yaml');
    await writeFile(meshFile, (await readFile(meshFile, 'utf8')).replace('  settings:\n', '  settings:\n    outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n'));
    await waitFor('the unknown destination blocked', async () => (await fromApp('http://external:8080/direct')).startsWith('error'), 30_000);
    expect(await fromApp('http://api.external.test/still')).toMatch(/^200 /);
    expect(await fromApp('http://secure.external.test/still')).toMatch(/^200 /);
  });
});
