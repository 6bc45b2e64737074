// Istio's egress gateway task (HTTP) on Compose, with transparent capture as in Istio: the task's
// ServiceEntry, Gateway (istio: egressgateway), DestinationRule and VirtualService, the one change
// an endpoint for edition.cnn.com (no internet here: a container of the user's compose.yaml that no
// sidecar captures). An app's call to http://edition.cnn.com/politics goes from its sidecar to the
// egress gateway's own service (mesh-gateway-egressgateway) and from there to the server; both
// proxies' stats count it.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultImages } from '../../src/compose/images.ts';
import { cleanUp, copyExample, counter, docker, mesh, nodeInStack, type Example } from './harness.ts';

let example: Example | undefined;

const TASK = new URL('../fixtures/istio/egress/egress-gateway-http.yaml', import.meta.url).pathname;
const EXTERNAL = "require('http').createServer((q, s) => s.end(JSON.stringify({ external: true, host: q.headers.host, path: q.url }))).listen(8080)";

beforeAll(async () => {
  example = await copyExample('canary', 'egressgw');
  await writeFile(
    join(example.dir, 'compose.yaml'),
    ['services:', '  external:', `    image: ${defaultImages().node}`, `    command: ["node", "-e", ${JSON.stringify(EXTERNAL)}]`, ''].join('\n'),
  );
  const task = await readFile(TASK, 'utf8');
  const reachable = task.replace('  resolution: DNS\n', '  resolution: DNS\n  endpoints: [{address: external, ports: {http-port: 8080}}]\n');
  expect(reachable).not.toBe(task);
  await writeFile(join(example.dir, 'egress-gateway.yaml'), reachable);
  const up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
}, 240_000);
afterAll(() => cleanUp(example), 120_000);

describe("Istio's egress gateway task (HTTP) on Compose", () => {
  it('runs the egress gateway as a service of its own that publishes no port', async () => {
    const containers = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${example!.project}`] } });
    const egress = containers.find((c) => c.Labels['com.docker.compose.service'] === 'mesh-gateway-egressgateway');
    expect(egress?.State).toBe('running');
    expect(egress!.Ports.filter((p) => p.PublicPort)).toEqual([]);
  });

  it('sends the app\'s call through the egress gateway to edition.cnn.com, counted by both proxies', async () => {
    const toGateway = 'cluster.outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local.upstream_rq_total';
    const toExternal = 'cluster.outbound|80||edition.cnn.com.upstream_rq_total';
    const before = [await counter(example!.project, 'reviews-v1-proxy', toGateway), await counter(example!.project, 'mesh-gateway-egressgateway', toExternal)];
    const answer = await nodeInStack(
      example!.project,
      "fetch('http://edition.cnn.com/politics', { signal: AbortSignal.timeout(5000) }).then(async (r) => process.stdout.write(r.status + ' ' + await r.text()), (e) => process.stdout.write('error ' + String(e.cause?.code ?? e)))",
      'reviews-v1',
    );
    expect(answer).toBe('200 {"external":true,"host":"edition.cnn.com","path":"/politics"}');
    expect(await counter(example!.project, 'reviews-v1-proxy', toGateway)).toBe(before[0]! + 1);
    expect(await counter(example!.project, 'mesh-gateway-egressgateway', toExternal)).toBe(before[1]! + 1);
  });
});
