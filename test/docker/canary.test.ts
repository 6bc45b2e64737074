// examples/canary on the Compose runtime: `mesh up -d`, the 90/10 split through the gateway
// container, a weight edit under load, a broken edit, `mesh status`, `mesh down`.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlStatus } from '../../src/control/controller.ts';
import { binomialCheck, sendMany } from '../helpers/traffic.ts';
import { failed, startLoad, watching } from '../integration/process/harness.ts';
import { apiOf, cleanUp, copyExample, getJson, leftovers, mesh, sleep, waitFor, type Example } from './harness.ts';

let example: Example | undefined;
let port = 0;
let api = '';
let reviewsYaml = '';

function v2Share(responses: Array<{ at: number; version: string }>, from: number) {
  const after = responses.filter((r) => r.at >= from);
  return { n: after.length, v2: after.filter((r) => r.version === 'v2').length };
}

beforeAll(async () => {
  example = await copyExample('canary', 'canary');
  port = example.gatewayPort;
  reviewsYaml = join(example.dir, 'reviews.yaml');
  const up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
  expect(up.stdout).toContain(`Gateway: http://127.0.0.1:${port}/`);
  api = await apiOf(example.dir);
}, 240_000);

afterAll(() => cleanUp(example), 120_000);

describe(`mesh up -d examples/canary (Compose ${process.env.LOCALMESH_COMPOSE ?? 'v2 where present'})`, () => {
  it('runs the stack: every container up, init containers exited 0, proxies SYNCED', async () => {
    const status = await mesh('status', '--json', example!.dir);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { runtime: string; workloads: Array<{ name: string; state: string }>; proxies: Array<{ id: string }> };
    expect(parsed.runtime).toBe('docker');
    expect(Object.fromEntries(parsed.workloads.map((w) => [w.name, w.state]))).toEqual({
      'mesh-control': 'running',
      'mesh-gateway': 'running',
      'reviews-v1': 'running',
      'reviews-v1-init': 'exited (0)',
      'reviews-v1-pod': 'running',
      'reviews-v1-proxy': 'running',
      'reviews-v2': 'running',
      'reviews-v2-init': 'exited (0)',
      'reviews-v2-pod': 'running',
      'reviews-v2-proxy': 'running',
    });
    expect(parsed.proxies.map((p) => p.id).sort()).toEqual(['mesh-gateway', 'reviews-v1', 'reviews-v2']);
  });

  it('mesh proxy-status shows every proxy SYNCED and no NOT SENT: EDS, which no proxy asks for here (DNS), is not used', async () => {
    const run = await mesh('proxy-status', example!.dir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toContain('NOT SENT');
    const rows = run.stdout.split('\n').filter((l) => /^(mesh-gateway|reviews-v[12]) /.test(l));
    expect(rows.map((l) => l.split(/\s{2,}/).slice(0, 6))).toEqual(
      ['mesh-gateway', 'reviews-v1', 'reviews-v2'].map((id) => [id, 'yes', 'SYNCED', 'SYNCED', '-', 'SYNCED']),
    );
  });

  it('splits 1000 requests through the gateway 90/10 within binomial bounds (4.5σ)', async () => {
    const tally = await sendMany(1000, { port }, 16);
    expect(tally.byStatus[200], tally.summary).toBe(1000);
    const check = binomialCheck(tally.byVersion.v2 ?? 0, 1000, 0.1);
    expect(check.ok, `${check.message}; ${tally.summary}`).toBe(true);
  });

  it('mesh tap shows the requests from the containers’ proxies (ALS to the control container)', async () => {
    // The proxies log requests while someone watches: a tap stream held from before the requests
    // (the CLI's own may open later than they are sent); --recent: what the control plane kept counts too.
    const unwatch = await watching(api);
    const tap = spawn(process.execPath, ['bin/mesh.js', 'tap', example!.dir, 'reviews/v1', '--path', '/tapped', '--recent', '-o', 'json', '--count', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    tap.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    tap.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const exited = new Promise((resolve) => tap.on('exit', resolve));
    await sleep(1000);
    const sending = sendMany(40, { port, path: '/tapped' }, 2);
    await Promise.race([exited, sleep(15_000)]);
    tap.kill();
    await sending;
    unwatch();
    const entries = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { proxy: string; path: string; status: number });
    expect(entries, err).toHaveLength(4);
    expect(entries.every((e) => ['mesh-gateway', 'reviews-v1'].includes(e.proxy) && e.path === '/tapped' && e.status === 200), out).toBe(true);
  });

  it('mesh weight moves the split within a second, with no failed request', async () => {
    const load = startLoad(port);
    await sleep(500);
    const weight = await mesh('weight', 'reviews', 'v1=50', 'v2=50', '--dir', example!.dir);
    const written = performance.now();
    expect(weight.code, weight.stderr).toBe(0);
    await sleep(4000);
    const responses = await load.stop();
    console.info(`mesh weight under load: ${responses.length} requests, ${failed(responses).length} failed`);
    expect(failed(responses), `${failed(responses).length} of ${responses.length} failed`).toEqual([]);
    const { n, v2 } = v2Share(responses, written + 1000);
    expect(n).toBeGreaterThan(50);
    const check = binomialCheck(v2, n, 0.5);
    expect(check.ok, `a second after the write: ${check.message}`).toBe(true);
  });

  it('a broken edit leaves traffic as it was, and mesh status shows the diagnostic', async () => {
    const good = await readFile(reviewsYaml, 'utf8');
    const load = startLoad(port);
    await writeFile(reviewsYaml, good.replace('weight: 50   # canary', 'weight: [50   # canary'));
    const broken = performance.now();
    // Reported, and settled: right after a reload the status says the files are being reloaded until they are read back (100 ms).
    await waitFor('the control plane reports the broken file', async () => {
      const now = await getJson<ControlStatus>(`${api}/status`);
      return !now.valid && !now.pending;
    });
    const status = await mesh('status', example!.dir);
    expect(status.code, 'mesh status exits 1 while the files are invalid').toBe(1);
    expect(status.stdout).toContain('Config: INVALID; still serving the last good version');
    expect(status.stdout).toMatch(new RegExp(`${reviewsYaml.replace(/[.]/g, '\\.')}:\\d+:\\d+: error`));
    await sleep(1000);
    await writeFile(reviewsYaml, good);
    await waitFor('the control plane reports the files valid again', async () => (await getJson<ControlStatus>(`${api}/status`)).valid);
    const responses = await load.stop();
    console.info(`broken edit: ${responses.length} requests, ${failed(responses).length} failed`);
    expect(failed(responses)).toEqual([]);
    const { n, v2 } = v2Share(responses, broken);
    expect(binomialCheck(v2, n, 0.5).ok, binomialCheck(v2, n, 0.5).message).toBe(true);
  });

  it('mesh down leaves no container or network of the stack behind', async () => {
    const down = await mesh('down', example!.dir);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(await leftovers(example!.project)).toEqual([]);
    const status = await mesh('status', example!.dir);
    expect(status.stdout).toContain('Nothing runs');
  });
});
