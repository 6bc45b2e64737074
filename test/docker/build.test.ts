// A version declared with `build:` (a Dockerfile beside the mesh): Compose builds it, and it
// runs beside its sidecar like the others; mesh up builds it again when its context changed (and
// only then); its declared healthcheck, which the stack cannot run, is warned about at FILE:LINE.
import { mkdir, mkdtemp, copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/traffic.ts';

import { defaultImages } from '../../src/compose/images.ts';
import { engine, gatewayPort, leftovers, mesh, removeStack } from './harness.ts';

const APP = new URL('../../examples/app/server.mjs', import.meta.url).pathname;
const project = `build-${process.pid}`;
let root = '';

afterAll(async () => {
  if (!root) return;
  await mesh('down', join(root, 'mesh'));
  await removeStack(project);
  await rm(root, { recursive: true, force: true });
  await engine.removeImages(`${project}-hello-v1`, `${project}_hello-v1`);
}, 120_000);

describe('a version with build:', () => {
  it('is built by Compose and answers through the gateway', async () => {
    root = await mkdtemp(join(tmpdir(), 'localmesh-docker-build-'));
    const dir = join(root, 'mesh');
    await mkdir(join(dir, 'hello'), { recursive: true });
    await copyFile(APP, join(dir, 'hello', 'server.mjs'));
    await writeFile(join(dir, 'hello', 'Dockerfile'), `FROM ${defaultImages().node}\nCOPY server.mjs /srv/server.mjs\nCMD ["node", "/srv/server.mjs"]\n`);
    const port = await gatewayPort();
    await writeFile(
      join(dir, 'mesh.yaml'),
      [
        'apiVersion: localmesh.dev/v1alpha1', 'kind: Mesh', `metadata: { name: ${project} }`, 'spec:',
        `  settings: { gateway: { ports: { "80": ${port} } } }`, '  services:', '    hello:', '      ports: [{ port: 9080 }]',
        '      versions:', '        v1: { build: hello, env: { SERVICE: hello, VERSION: v1 }, healthcheck: { path: /healthz } }', '---',
        'apiVersion: networking.istio.io/v1', 'kind: Gateway', 'metadata: { name: gw }', 'spec:',
        '  selector: { istio: ingressgateway }', '  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]', '---',
        'apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata: { name: hello }', 'spec:',
        '  hosts: ["*"]', '  gateways: [gw]', '  http: [{ route: [{ destination: { host: hello } }] }]', '',
      ].join('\n'),
    );
    const up = await mesh('up', '--runtime', 'docker', '-d', dir);
    expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
    expect(up.stdout).toContain('Building hello-v1 (build context hello)');
    expect(up.stdout).toContain(
      `${join(dir, 'mesh.yaml')}:10:67: warning: the healthcheck of hello v1 is not run on the Compose runtime`,
    );
    const response = await send({ port });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ service: 'hello', version: 'v1' });
    const down = await mesh('down', dir);
    expect(down.code).toBe(0);
    expect(await leftovers(project)).toEqual([]);

    // An edit in the build context: the next mesh up builds the image again, and it serves.
    const server = join(dir, 'hello', 'server.mjs');
    await writeFile(server, (await readFile(server, 'utf8')).replace("process.env.VERSION ?? 'v1'", "'rebuilt'"));
    const again = await mesh('up', '--runtime', 'docker', '-d', dir);
    expect(again.code, `mesh up failed:\n${again.stdout}${again.stderr}`).toBe(0);
    expect(again.stdout).toContain('Building hello-v1 (its build context changed since the last build: hello)');
    expect(JSON.parse((await send({ port })).body)).toMatchObject({ service: 'hello', version: 'rebuilt' });
    expect((await mesh('down', dir)).code).toBe(0);

    // Unchanged: not built again.
    const third = await mesh('up', '--runtime', 'docker', '-d', dir);
    expect(third.code, `mesh up failed:\n${third.stdout}${third.stderr}`).toBe(0);
    expect(third.stdout).not.toContain('Building');
    expect(JSON.parse((await send({ port })).body)).toMatchObject({ version: 'rebuilt' });
    expect((await mesh('down', dir)).code).toBe(0);
    expect(await leftovers(project)).toEqual([]);
  }, 420_000);
});
