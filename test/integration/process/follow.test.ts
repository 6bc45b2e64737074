// Versions added to and removed from the Mesh file while the process runtime runs: under load
// through the gateway (90/10 to v1 and v2) and from v1's sidecar to `reviews` (every version),
// adding v3 starts v3 and its sidecar, which then serve; removing it stops both; nothing else is
// restarted and not one request fails.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { PortMapFile } from '../../../src/control/addressing-mode.ts';
import { readJson } from '../../../src/runtime/json-file.ts';
import { readState, statePaths } from '../../../src/runtime/process/state.ts';
import { alive } from '../../../src/runtime/process/supervise.ts';
import { send, type Response } from '../../helpers/traffic.ts';
import { failed, sleep, startLoad, upExample } from './harness.ts';

const canary = upExample('canary', {
  args: ['--watch'],
  prepare: (dir) => cp(join(dirname(dir), 'app'), join(dirname(dir), 'app-v3'), { recursive: true }),
});

const V2 = '          command: [node, ../app/server.mjs]\n          env: { SERVICE: reviews, VERSION: v2 }\n          healthcheck: { path: /healthz }\n';
const V3 = V2.replaceAll('v2', 'v3').replace('../app/', '../app-v3/') + '          watch: { paths: [../app-v3] }\n';

const running = async () => Object.fromEntries(((await readState(canary.dir))?.processes ?? []).filter(alive).map((p) => [p.name, p.pid]));

/** Requests from v1's sidecar (as v1's HTTP proxy) to reviews, 2 at a time, until stopped. */
function inMeshLoad(port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const responses: Response[] = [];
  let on = true;
  const worker = async () => {
    while (on) responses.push(await send({ port, path: 'http://reviews:9080/', headers: { host: 'reviews:9080' }, timeoutMs: 5000 }, agent));
  };
  const workers = [worker(), worker()];
  return { responses, stop: async () => ((on = false), await Promise.all(workers), agent.destroy(), responses) };
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const log = await readFile(statePaths(canary.dir).log('mesh-supervisor'), 'utf8').catch(() => '');
      throw new Error(`${what}: not within ${ms} ms; the supervisor's log:\n${log.split('\n').slice(-15).join('\n')}`);
    }
    await sleep(100);
  }
}

describe('versions added and removed while running', () => {
  it('v3 added starts with its sidecar and serves; removed, both stop; 0 failed requests, nothing else restarted', async () => {
    const meshFile = join(canary.dir, 'mesh.yaml');
    const text = await readFile(meshFile, 'utf8');
    expect(text).toContain(V2.replace('          command', '        v2:\n          command').slice(8));
    const ports = (await readJson<PortMapFile>(statePaths(canary.dir).portMap))!.ports;
    const before = await running();
    const gateway = startLoad(canary.gatewayPort, 2);
    const inside = inMeshLoad(ports['outbound reviews-v1']!);
    await sleep(1000);

    const addedAt = performance.now();
    await writeFile(meshFile, text.replace(V2, `${V2}        v3:\n${V3}`));
    await until('v3 answers from inside the mesh', () => inside.responses.some((r) => r.version === 'v3'));
    const servingMs = Math.round(performance.now() - addedAt);
    const withV3 = await running();
    expect(Object.keys(withV3).sort()).toEqual([...Object.keys(before), 'reviews-v3', 'reviews-v3-proxy'].sort());
    for (const name of Object.keys(before)) expect(withV3[name], name).toBe(before[name]);
    expect(Object.keys(before)).not.toContain('reviews-v3');
    // The version added is watched too: a save of its source restarts it.
    const source = join(canary.dir, '../app-v3/server.mjs');
    const editedAt = performance.now();
    await writeFile(source, (await readFile(source, 'utf8')).replace('const body = { service', 'const body = { edit: 3, service'));
    await until('v3 serves its edit', () => inside.responses.some((r) => (r.reply as { edit?: number } | undefined)?.edit === 3));
    const editMs = Math.round(performance.now() - editedAt);
    await sleep(1000);

    const removedAt = performance.now();
    await writeFile(meshFile, text);
    await until('v3 and its sidecar stopped', async () => !('reviews-v3' in (await running())) && !('reviews-v3-proxy' in (await running())));
    const stoppedMs = Math.round(performance.now() - removedAt);
    const last = inside.responses.length;
    await sleep(1000);
    const [outside, within] = [await gateway.stop(), await inside.stop()];
    expect(within.slice(last).filter((r) => r.version === 'v3')).toEqual([]);
    const count = (rs: Response[], v: string) => rs.filter((r) => r.version === v).length;
    console.log(
      `follow: v3 serving ${servingMs} ms after the save, its edit ${editMs} ms after that save, stopped ${stoppedMs} ms after its removal; ` +
        `gateway ${outside.length} requests (${failed(outside).length} failed), in the mesh ${within.length} ` +
        `(v1 ${count(within, 'v1')}, v2 ${count(within, 'v2')}, v3 ${count(within, 'v3')}; ${failed(within).length} failed)`,
    );
    expect(failed(outside).map((r) => `${r.status} ${r.error ?? r.body.slice(0, 80)}`)).toEqual([]);
    expect(failed(within).map((r) => `${r.status} ${r.error ?? r.body.slice(0, 80)}`)).toEqual([]);
    expect(await running()).toEqual(before);

    // A version the process runtime cannot run (no command) is named, and nothing starts.
    await writeFile(meshFile, text.replace(V2, `${V2}        v4:\n          image: example/reviews:4\n`));
    const log = () => readFile(statePaths(canary.dir).log('mesh-supervisor'), 'utf8');
    await until('the supervisor says why v4 is not started', async () => /Not starting what the Mesh adds: .*reviews v4 has none/.test(await log()));
    expect(await running()).toEqual(before);
    await writeFile(meshFile, text);
  }, 90_000);

  it("v2's env changed in the Mesh: v2 alone restarts (with a surge) and serves it; 0 failed requests", async () => {
    const meshFile = join(canary.dir, 'mesh.yaml');
    const text = await readFile(meshFile, 'utf8');
    const before = await running();
    const gateway = startLoad(canary.gatewayPort, 2);
    await sleep(500);
    const savedAt = performance.now();
    // The example app answers with the VERSION it is given.
    await writeFile(meshFile, text.replace(V2, V2.replace('VERSION: v2 }', 'VERSION: v2-new }')));
    await until('v2 serves its new env', () => gateway.responses.some((r) => r.version === 'v2-new'));
    const servingMs = Math.round(performance.now() - savedAt);
    await sleep(500);
    const responses = await gateway.stop();
    const after = await running();
    console.log(`follow: v2's new env serving ${servingMs} ms after the save; ${responses.length} requests, ${failed(responses).length} failed`);
    expect(failed(responses).map((r) => `${r.status} ${r.error ?? r.body.slice(0, 80)}`)).toEqual([]);
    expect(Object.keys(after).filter((name) => after[name] !== before[name])).toEqual(['reviews-v2']);
    await writeFile(meshFile, text);
    await until('v2 back to its env', async () => (await running())['reviews-v2'] !== after['reviews-v2']);
  }, 60_000);
});
