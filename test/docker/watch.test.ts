// `mesh up -d --watch` on the Compose runtime: examples/canary at 90/10 with v2 running an app of
// its own (the Node image, its folder mounted) under `watch: {action: restart}`. Under load
// through the gateway, a save of v2's source restarts v2's app container only (its pod holder,
// sidecar, v1 and the control plane keep their containers running); v2 serves the new code
// within 20 s; no request fails (v2's sidecar holds its requests while the app restarts) and v1
// keeps serving throughout. A v3 added to the Mesh file while it runs is started by the stack's
// healer, which follows the file, and removed again the same way, with no failed request.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failed, startLoad } from '../integration/process/harness.ts';
import { cleanUp, copyExample, engine, mesh, sleep, waitFor, type Example } from './harness.ts';

let example: Example | undefined;

beforeAll(async () => {
  example = await copyExample('canary', 'watch');
  await cp(join(dirname(example.dir), 'app'), join(dirname(example.dir), 'app-v2'), { recursive: true });
  const file = join(example.dir, 'mesh.yaml');
  const text = await readFile(file, 'utf8');
  const v2 = '          command: [node, ../app/server.mjs]\n          env: { SERVICE: reviews, VERSION: v2 }\n';
  if (!text.includes(v2)) throw new Error(`${file}: v2 is not as expected`);
  await writeFile(file, text.replace(v2, '          command: [node, ../app-v2/server.mjs]\n          env: { SERVICE: reviews, VERSION: v2 }\n          watch: { paths: [../app-v2] }\n'));
  const up = await mesh('up', '--runtime', 'docker', '-d', '--watch', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
}, 240_000);

afterAll(() => cleanUp(example), 120_000);

describe('mesh up -d --watch on Compose', () => {
  it('a save of v2 restarts its app container only; v2 serves the new code within 20 s; v1 serves throughout', async () => {
    /** Running containers: Compose service → id and when it started. */
    const started = async () =>
      Object.fromEntries(
        await Promise.all(
          (await engine.stackContainers(example!.project)).filter((c) => c.state === 'running').map(async (c) => [c.service, `${c.id} ${(await engine.containerStatus(c.id))?.startedAt}`] as const),
        ),
      );
    const before = await started();
    const load = startLoad(example!.gatewayPort, 4);
    await sleep(1500);
    const source = join(dirname(example!.dir), 'app-v2', 'server.mjs');
    const text = await readFile(source, 'utf8');
    const savedAt = performance.now();
    await writeFile(source, text.replace('const body = { service', 'const body = { edit: 1, service'));
    let served: number | undefined;
    while (served === undefined && performance.now() - savedAt < 20_000) {
      served = load.responses.find((r) => r.at > savedAt && (r.reply as { edit?: number } | undefined)?.edit === 1)?.at;
      await sleep(50);
    }
    await sleep(1000);
    const responses = await load.stop();
    const loopMs = served === undefined ? undefined : Math.round(served - savedAt);
    const bad = failed(responses);
    const v1 = responses.filter((r) => r.version === 'v1' && r.at > savedAt).map((r) => r.at);
    const gaps = v1.slice(1).map((at, i) => at - v1[i]!);
    console.log(
      `compose watch: save → new code serving ${loopMs} ms; ${responses.length} requests, ${bad.length} failed ` +
        `(${[...new Set(bad.map((r) => `${r.status}`))].join(', ')}); longest pause of v1 ${Math.round(Math.max(0, ...gaps))} ms`,
    );
    expect(loopMs, 'v2 did not serve the new code within 20 s').toBeDefined();
    // The sidecar holds v2's requests while its app restarts: none fails, none with a connection error.
    expect(bad.map((r) => `${r.version ?? '?'} ${r.status} ${r.error ?? r.body.slice(0, 80)}`)).toEqual([]);
    // v1 keeps serving. Its pause is bounded by v2's restart, not zero: the 4 clients are closed
    // loops, and each one's next request to v2 is held by v2's sidecar while the app restarts.
    expect(Math.max(0, ...gaps)).toBeLessThan(5000);
    const after = await started();
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    const restarted = Object.keys(before).filter((service) => before[service] !== after[service]);
    expect(restarted).toEqual(['reviews-v2']);
    expect(after['reviews-v2']!.split(' ')[0]).toBe(before['reviews-v2']!.split(' ')[0]); // in place, not recreated
    const status = await mesh('status', example!.dir);
    expect(status.stdout).toMatch(/reviews-v2: restart after a change of .*server\.mjs: serving the new code/);
    // The healer beside the watcher took the restart for what it was, not for a crash.
    const log = await readFile(join(example!.dir, '.mesh', 'mesh-supervisor.log'), 'utf8');
    expect(log).toMatch(/reviews-v2 serves the new code/);
    expect(log).not.toMatch(/reviews-v2 stopped/);
  }, 90_000);

  it('v3 added to the Mesh while it runs: v3 and its sidecar start, nothing else is recreated, no request fails; removed, they go', async () => {
    const ids = async () => Object.fromEntries((await engine.stackContainers(example!.project)).filter((c) => c.state === 'running').map((c) => [c.service, c.id]));
    const file = join(example!.dir, 'mesh.yaml');
    const text = await readFile(file, 'utf8');
    const before = await ids();
    const load = startLoad(example!.gatewayPort, 4);
    await sleep(1000);
    const v3 = '        v3:\n          command: [node, ../app/server.mjs]\n          env: { SERVICE: reviews, VERSION: v3 }\n          healthcheck: { path: /healthz }\n';
    // The healer (mesh supervise) follows the Mesh file: no mesh up needed.
    await writeFile(file, text.replace('        v2:\n', `${v3}        v2:\n`));
    const addedAt = performance.now();
    const healerLog = async (error: Error) => {
      throw new Error(`${error.message}; the healer's log:\n${await readFile(join(example!.dir, '.mesh', 'mesh-supervisor.log'), 'utf8')}`);
    };
    await waitFor('reviews-v3 running', async () => 'reviews-v3' in (await ids()), 60_000).catch(healerLog);
    const startedMs = Math.round(performance.now() - addedAt);
    await sleep(1500);
    const added = await ids();
    await writeFile(file, text);
    const removedAt = performance.now();
    await waitFor('reviews-v3 removed', async () => !Object.keys(await ids()).some((s) => s.startsWith('reviews-v3')), 60_000).catch(healerLog);
    const removedMs = Math.round(performance.now() - removedAt);
    await sleep(1000);
    console.log(`compose follows the Mesh: v3 running ${startedMs} ms after the save, removed ${removedMs} ms after the next`);
    const responses = await load.stop();
    const bad = failed(responses);
    console.log(`compose add/remove v3: ${responses.length} requests through the gateway, ${bad.length} failed`);
    expect(bad.map((r) => `${r.status} ${r.error ?? r.body.slice(0, 80)}`)).toEqual([]);
    expect(Object.keys(added).filter((s) => !(s in before)).sort()).toEqual(['reviews-v3', 'reviews-v3-pod', 'reviews-v3-proxy']);
    for (const service of Object.keys(before)) expect(added[service], service).toBe(before[service]);
    const end = await ids();
    expect(Object.keys(end).sort(), JSON.stringify(end)).toEqual(Object.keys(before).sort());
    expect(end).toEqual(before);
  }, 240_000);
});
