// Istio's egress gateway task (HTTPS) on Compose: the task's files (an endpoint added to its
// ServiceEntry: no internet here), TLS from the app to https://edition.cnn.com routed by its SNI
// on the sidecar to the egress gateway (the task's `tls` route bound to `mesh`), which passes it
// through by SNI to the server: the app's own TLS end to end, both proxies counting the connection.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultImages } from '../../src/compose/images.ts';
import { serverCertificate } from '../helpers/certificates.ts';
import { cleanUp, copyExample, counter, mesh, nodeInStack, type Example } from './harness.ts';

let example: Example | undefined;

const TASK = new URL('../fixtures/istio/egress/egress-gateway-https.yaml', import.meta.url).pathname;
const EXTERNAL_TLS = "const fs = require('fs'); require('https').createServer({ cert: fs.readFileSync('/certs/server.pem'), key: fs.readFileSync('/certs/server-key.pem') }, (q, s) => s.end(JSON.stringify({ tls: true, servername: q.socket.servername, path: q.url }))).listen(8443)";

beforeAll(async () => {
  example = await copyExample('canary', 'egressgws');
  const { certPem, keyPem } = await serverCertificate('edition.cnn.com');
  await mkdir(join(example.dir, 'certs'));
  await writeFile(join(example.dir, 'certs', 'server.pem'), certPem);
  await writeFile(join(example.dir, 'certs', 'server-key.pem'), keyPem, { mode: 0o644 });
  await writeFile(
    join(example.dir, 'compose.yaml'),
    ['services:', '  external-tls:', `    image: ${defaultImages().node}`, `    command: ["node", "-e", ${JSON.stringify(EXTERNAL_TLS)}]`, '    volumes: ["./certs:/certs:ro"]', ''].join('\n'),
  );
  const task = await readFile(TASK, 'utf8');
  const reachable = task.replace('  resolution: DNS\n', '  resolution: DNS\n  endpoints: [{address: external-tls, ports: {tls: 8443}}]\n');
  expect(reachable).not.toBe(task);
  await writeFile(join(example.dir, 'egress-gateway.yaml'), reachable);
  const up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
}, 240_000);
afterAll(() => cleanUp(example), 120_000);

describe("Istio's egress gateway task (HTTPS) on Compose", () => {
  it("routes the app's TLS by SNI through the egress gateway to edition.cnn.com, counted by both proxies", async () => {
    const toGateway = 'cluster.outbound|443|cnn|istio-egressgateway.istio-system.svc.cluster.local.upstream_cx_total';
    const toExternal = 'cluster.outbound|443||edition.cnn.com.upstream_cx_total';
    const before = [await counter(example!.project, 'reviews-v1-proxy', toGateway), await counter(example!.project, 'mesh-gateway-egressgateway', toExternal)];
    const script = "require('https').get({ host: 'edition.cnn.com', path: '/politics', rejectUnauthorized: false, timeout: 5000 }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => process.stdout.write(r.statusCode + ' ' + b)); }).on('error', (e) => process.stdout.write('error ' + e.code))";
    expect(await nodeInStack(example!.project, script, 'reviews-v1')).toBe('200 {"tls":true,"servername":"edition.cnn.com","path":"/politics"}');
    expect(await counter(example!.project, 'reviews-v1-proxy', toGateway)).toBe(before[0]! + 1);
    expect(await counter(example!.project, 'mesh-gateway-egressgateway', toExternal)).toBe(before[1]! + 1);
  });
});
