// The inner loop on the process runtime: `mesh up -d --watch` on the canary at 90/10, under
// steady load through the gateway. Saving v2's source restarts v2's app only (v1, the sidecars
// and the control plane keep their pids); not one request fails, v1 keeps serving, and v2
// serves the new code within 5 s of the save.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WatchFile } from '../../../src/runtime/inner-loop.ts';
import { readJson } from '../../../src/runtime/json-file.ts';
import { readState, statePaths } from '../../../src/runtime/process/state.ts';
import { failed, mesh, processesIn, sleep, startLoad, upExample } from './harness.ts';

const V2_SOURCE = '../app-v2/server.mjs';

const canary = upExample('canary', {
  args: ['--watch'],
  async prepare(dir) {
    // v2 runs a copy of the app of its own, watched; v1 runs the shared one.
    await cp(join(dirname(dir), 'app'), join(dirname(dir), 'app-v2'), { recursive: true });
    const file = join(dir, 'mesh.yaml');
    const text = await readFile(file, 'utf8');
    const v2 = '          command: [node, ../app/server.mjs]\n          env: { SERVICE: reviews, VERSION: v2 }\n';
    if (!text.includes(v2)) throw new Error(`${file}: v2 is not as expected`);
    await writeFile(file, text.replace(v2, `          command: [node, ${V2_SOURCE}]\n          env: { SERVICE: reviews, VERSION: v2 }\n          watch: { paths: [../app-v2], ignore: ['*.md'], action: restart }\n`));
  },
});

const pids = async () => Object.fromEntries(((await readState(canary.dir))?.processes ?? []).map((p) => [p.name, p.pid]));
const loops = () => readJson<WatchFile>(statePaths(canary.dir).watch);

/** Edits v2's source so that its replies carry `edit: N`. */
async function edit(n: number): Promise<number> {
  const file = join(canary.dir, V2_SOURCE);
  const text = await readFile(file, 'utf8');
  const next = text.replace(/const body = \{ (edit: \d+, )?service/, `const body = { edit: ${n}, service`);
  if (next === text) throw new Error(`${file}: no body to edit`);
  const savedAt = performance.now();
  await writeFile(file, next);
  return savedAt;
}

describe('mesh up --watch on the process runtime', () => {
  it('says what it watches', () => {
    expect(canary.up.stdout).toMatch(/Watching .*app-v2 for reviews-v2: restart/);
  });

  it('a save of v2 restarts v2 only, with no failed request, and v2 serves the new code within 5 s', async () => {
    const before = await pids();
    const load = startLoad(canary.gatewayPort, 4);
    await sleep(1000);
    const loopTimes: number[] = [];
    for (const n of [1, 2]) {
      const savedAt = await edit(n);
      const deadline = savedAt + 5000;
      let served: number | undefined;
      while (served === undefined && performance.now() < deadline) {
        served = load.responses.find((r) => r.at > savedAt && (r.reply as { edit?: number } | undefined)?.edit === n)?.at;
        await sleep(20);
      }
      expect(served, `v2 did not serve edit ${n} within 5 s`).toBeDefined();
      loopTimes.push(Math.round(served! - savedAt));
      // Until the old process has stopped (the loop is recorded as serving).
      const until = Date.now() + 10_000;
      while ((await loops())?.versions['reviews-v2']?.state !== 'serving' && Date.now() < until) await sleep(50);
      await sleep(500);
    }
    const responses = await load.stop();
    const v2 = responses.filter((r) => r.version === 'v2').length;
    const v1 = responses.filter((r) => r.version === 'v1').length;
    console.log(`watch: ${responses.length} requests (v1 ${v1}, v2 ${v2}), ${failed(responses).length} failed; save → new code serving: ${loopTimes.join(', ')} ms`);
    expect(failed(responses).map((r) => `${r.status} ${r.error ?? r.body.slice(0, 80)}`)).toEqual([]);
    expect(v2 / responses.length).toBeGreaterThan(0.03); // the canary stays a canary
    expect(v2 / responses.length).toBeLessThan(0.2);
    const after = await pids();
    const changed = Object.keys(before).filter((name) => before[name] !== after[name]);
    expect(changed).toEqual(['reviews-v2']);
    const loop = (await loops())!.versions['reviews-v2']!;
    expect(loop).toMatchObject({ state: 'serving', action: 'restart' });
    expect(loop.servingMs).toBeLessThan(5000);
    expect(loop.healthyMs).toBeLessThanOrEqual(loop.servingMs!);
    const status = await mesh('status', canary.dir);
    expect(status.stdout).toMatch(/reviews-v2: restart after a change of .*server\.mjs: serving the new code \d+\.\d\d s after the save/);
  }, 60_000);

  it('an ignored file restarts nothing; a broken edit leaves the old v2 serving, with the reason', async () => {
    const before = await pids();
    await writeFile(join(canary.dir, '../app-v2/NOTES.md'), 'not code\n');
    await sleep(800);
    expect(await pids()).toEqual(before);
    const file = join(canary.dir, V2_SOURCE);
    const good = await readFile(file, 'utf8');
    await writeFile(file, `${good}\nthis is not javascript\n`);
    const until = Date.now() + 10_000;
    while ((await loops())?.versions['reviews-v2']?.state !== 'failed' && Date.now() < until) await sleep(100);
    const loop = (await loops())!.versions['reviews-v2']!;
    expect(loop.state).toBe('failed');
    expect(loop.problem).toMatch(/reviews-v2/);
    expect(await pids()).toEqual(before);
    const status = await mesh('status', canary.dir);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(/reviews-v2: restart after a change of .*server\.mjs: failed, the code before serves: the app reviews-v2/);
    await writeFile(file, good); // and the next good save serves again
    const back = Date.now() + 10_000;
    while ((await loops())?.versions['reviews-v2']?.state !== 'serving' && Date.now() < back) await sleep(100);
    expect((await loops())?.versions['reviews-v2']?.state).toBe('serving');
  }, 30_000);

  it('mesh down while a restart waits for the new process leaves nothing running', async () => {
    const file = join(canary.dir, V2_SOURCE);
    // The new process takes 5 s to listen: mesh down comes in the middle of the restart.
    await writeFile(file, (await readFile(file, 'utf8')).replace('server.listen(', 'await new Promise((r) => setTimeout(r, 5000));\nserver.listen('));
    const until = Date.now() + 5000;
    while ((await loops())?.versions['reviews-v2']?.state !== 'restarting' && Date.now() < until) await sleep(50);
    expect((await loops())?.versions['reviews-v2']?.state).toBe('restarting');
    await sleep(300);
    const down = await mesh('down', canary.dir);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(await processesIn(canary.dir)).toEqual([]);
  }, 30_000);
});
