// Istio's bookinfo on the Compose runtime from its own files, unmodified (bookinfo.yaml, the
// gateway, destination-rule-all.yaml, virtual-service-reviews-90-10.yaml), beside a Mesh document
// that only publishes the gateway on a free port. Stand-ins for bookinfo's images are built under
// bookinfo's image names (the test machines reach no registry): each answers with its service and
// version, and productpage calls reviews as the real one does. The 90/10 split shows through
// productpage's calls.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultImages } from '../../src/compose/images.ts';
import { binomialCheck, send, sendMany } from '../helpers/traffic.ts';
import { engine, gatewayPort, leftovers, mesh, removeStack, waitFor } from './harness.ts';

const run = promisify(execFile);
const FIXTURES = new URL('../fixtures/istio/bookinfo/', import.meta.url).pathname;
const FILES = ['bookinfo.yaml', 'bookinfo-gateway.yaml', 'destination-rule-all.yaml', 'virtual-service-reviews-90-10.yaml'];
const APP = new URL('../../examples/app/server.mjs', import.meta.url).pathname;
const project = `bookinfo-${process.pid}`;

/** The image of every container bookinfo.yaml runs, with what its stand-in is. */
async function bookinfoImages(): Promise<Array<{ image: string; service: string; version: string }>> {
  const text = await readFile(join(FIXTURES, 'bookinfo.yaml'), 'utf8');
  return [...text.matchAll(/image: (\S+examples-bookinfo-(\w+)-(v\d)\S*)/g)].map(([, image, service, version]) => ({ image: image!, service: service!, version: version! }));
}

let root = '';
let dir = '';
let port = 0;
let images: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'localmesh-docker-bookinfo-'));
  const context = join(root, 'standin');
  await mkdir(context);
  await copyFile(APP, join(context, 'server.mjs'));
  const standIns = await bookinfoImages();
  images = standIns.map((s) => s.image);
  for (const { image, service, version } of standIns) {
    const calls = service === 'productpage' ? 'ENV UPSTREAMS=http://reviews:9080/reviews/0\n' : '';
    await writeFile(join(context, 'Dockerfile'), `FROM ${defaultImages().node}\nCOPY server.mjs /srv/server.mjs\nENV SERVICE=${service} VERSION=${version}\n${calls}CMD ["node", "/srv/server.mjs"]\n`);
    await run('docker', ['build', '-q', '-t', image, context], { timeout: 120_000 });
  }
  dir = join(root, 'bookinfo');
  await mkdir(dir);
  for (const file of FILES) await copyFile(join(FIXTURES, file), join(dir, file));
  port = await gatewayPort();
  await writeFile(join(dir, 'mesh.yaml'), [
    '# Only settings: the services come from bookinfo.yaml.',
    'apiVersion: localmesh.dev/v1alpha1', 'kind: Mesh', `metadata: { name: ${project} }`, 'spec:',
    `  settings: { gateway: { ports: { "8080": ${port} } } }`, '  services: {}', '',
  ].join('\n'));
  const up = await mesh('up', '--runtime', 'docker', '-d', dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
}, 600_000);

afterAll(async () => {
  if (dir) await mesh('down', dir);
  await removeStack(project);
  if (images.length) await engine.removeImages(...images).catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
}, 180_000);

describe("Istio's bookinfo from bookinfo.yaml on the Compose runtime", () => {
  it("runs every Deployment under bookinfo's image names", async () => {
    const status = await mesh('status', '--json', dir);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const workloads = (JSON.parse(status.stdout) as { workloads: Array<{ name: string; state: string }> }).workloads;
    const apps = workloads.filter((w) => /^(details|productpage|ratings|reviews)-v\d$/.test(w.name));
    expect(apps.map((w) => `${w.name} ${w.state}`).sort()).toEqual(
      ['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3'].map((n) => `${n} running`),
    );
  });

  it("splits productpage's calls to reviews 90/10 between v1 and v2", async () => {
    const at = { port, path: '/productpage', headers: { host: 'bookinfo.example' } };
    await waitFor('productpage and reviews to answer through the gateway', async () => (await send(at)).status === 200, 60_000);
    const tally = await sendMany(400, at, 8);
    expect(tally.byStatus, tally.summary).toEqual({ 200: 400 });
    const reviews = tally.responses.map((r) => (JSON.parse(r.body) as { upstreams: Array<{ body: { version: string } }> }).upstreams[0]!.body.version);
    const count = (v: string) => reviews.filter((x) => x === v).length;
    expect(count('v3'), reviews.join(' ')).toBe(0);
    expect(count('v1') + count('v2')).toBe(400);
    const check = binomialCheck(count('v2'), 400, 0.1);
    expect(check.ok, `reviews v2 share: ${check.message}`).toBe(true);
  }, 120_000);

  it('mesh down leaves nothing of the stack', async () => {
    const down = await mesh('down', dir);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(await leftovers(project)).toEqual([]);
  }, 120_000);
});
