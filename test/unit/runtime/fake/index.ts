// A third runtime, as a test registers it: one folder with an index.ts that makes a Runtime
// (src/runtime/contract.ts). It "runs" a mesh by recording it in DIR/.mesh/fake.json; its
// workloads are the mesh's proxies, its logs one line per workload.
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RunStateBase, Runtime } from '../../../../src/runtime/contract.ts';
import { readJson, writeJson } from '../../../../src/runtime/json-file.ts';

export interface FakeRunState extends RunStateBase {
  runtime: 'fake';
  proxies: string[];
}

const statePath = (dir: string) => join(resolve(dir), '.mesh', 'fake.json');

export function fakeRuntime(options: { available?: boolean } = {}): Runtime<FakeRunState> {
  const read = (dir: string) => readJson<FakeRunState>(statePath(dir));
  return {
    name: 'fake',
    title: 'the fake runtime',
    detect: async () =>
      options.available === false ? { ok: false, why: 'No fake answers', problem: 'The fake runtime is switched off.' } : { ok: true, why: 'A fake answers' },
    async up(model, dir, { say }) {
      const state: FakeRunState = {
        runtime: 'fake',
        dir: resolve(dir),
        startedAt: new Date(0).toISOString(),
        api: 'http://127.0.0.1:9/',
        gateways: ['http://127.0.0.1:8080/'],
        proxies: model.services.flatMap((s) => s.versions.map((v) => v.proxy)),
      };
      await writeJson(statePath(dir), state);
      say(`Faked ${state.proxies.length} proxies`);
      return 0;
    },
    state: read,
    async down(dir, { say }) {
      if (!(await read(dir))) return false;
      await rm(statePath(dir));
      say('Fake stopped.');
      return true;
    },
    where: (state) => `fake of ${state.proxies.length} proxies`,
    facts: () => ({ fake: 'yes' }),
    hostPath: (_state, file) => file,
    workloads: async (state) => state.proxies.map((name) => ({ name, state: 'running', running: true })),
    async logs(dir, { filter, write }) {
      const state = await read(dir);
      if (!state) return undefined;
      for (const name of state.proxies.filter((p) => filter === undefined || p.startsWith(filter))) write(`${name} | faked\n`);
      return 0;
    },
    logTail: async (dir, name) => ((await read(dir)) ? [`${name} faked`] : undefined),
    running: async () => [],
  };
}
