// Ctrl-C (SIGINT) while `mesh up --runtime process` starts, in the foreground and with -d: until
// it is up (or `mesh up -d` has returned), Ctrl-C stops everything it had started, says so, and
// nothing of the mesh is left running; the next `mesh up` is not told the mesh is "already up".
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readState } from '../../src/runtime/process/state.ts';
import { copyExample, mesh, processesIn, sleep } from '../integration/process/harness.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) {
    await mesh('down', dir);
    await rm(dirname(dir), { recursive: true, force: true });
  }
}, 60_000);

/** `mesh up ARGS DIR`, SIGINT once its output matches `moment`; its exit code and output. */
async function interruptAt(moment: RegExp, args: string[], dir: string): Promise<{ code: number | null; signal: string | null; output: string }> {
  const up = spawn(process.execPath, ['bin/mesh.js', 'up', '--runtime', 'process', ...args, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  up.stdout.on('data', (d) => (output += d));
  up.stderr.on('data', (d) => (output += d));
  const exited = new Promise<[number | null, string | null]>((resolve) => up.on('exit', (code, signal) => resolve([code, signal])));
  const deadline = Date.now() + 60_000;
  while (!moment.test(output)) {
    if (Date.now() > deadline || up.exitCode !== null) {
      up.kill('SIGKILL');
      throw new Error(`mesh up never printed ${moment}:\n${output}`);
    }
    await sleep(5);
  }
  up.kill('SIGINT');
  const [code, signal] = await Promise.race([exited, sleep(30_000).then(() => [null, 'still running after 30 s'] as [null, string])]);
  return { code, signal, output };
}

describe('Ctrl-C while mesh up starts (process runtime)', () => {
  const cases: Array<[string, RegExp, string[]]> = [
    ['at "Starting the control plane", in the foreground', /Starting the control plane/, []],
    ['at "Starting N Envoy proxies", with -d', /Starting \d+ Envoy proxies/, ['-d']],
    ['at "Waiting for N proxies to be SYNCED", with -d', /Waiting for \d+ proxies to be SYNCED/, ['-d']],
  ];
  for (const [i, [name, moment, args]] of cases.entries()) {
    it(`${name}: stops what it started, says so, exits 130${i === 0 ? '; the next mesh up starts it' : ''}`, async () => {
      const { dir } = await copyExample('canary');
      dirs.push(dir);
      const { code, signal, output } = await interruptAt(moment, args, dir);
      expect({ code, signal }, output).toEqual({ code: 130, signal: null });
      expect(output).toMatch(/^Interrupted \(Ctrl-C\) while starting: stopped what it had started \(\d+ process(es)?\); nothing of the mesh in .+ runs\.$/m);
      expect(await processesIn(dir)).toEqual([]);
      expect(await readState(dir)).toBeUndefined();
      if (i === 0) await upAgain(dir);
    }, 120_000);
  }
});

/** The next `mesh up` starts the mesh (not "already up"); mesh logs finds it from elsewhere. */
async function upAgain(dir: string): Promise<void> {
  const again = await mesh('up', '--runtime', 'process', '-d', dir);
  expect(again.code, again.stdout + again.stderr).toBe(0);
  expect(again.stderr).not.toContain('already up');
  // From elsewhere, mesh logs says which mesh runs and how to name it; named, it shows the logs.
  const here = await mesh('logs', 'reviews-v1');
  expect(here.code).toBe(1);
  // (Other meshes may run on this machine meanwhile: this one is among those named.)
  const listed = new RegExp(`(one runs|meshes run) in [^:]*${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^:]*: name it first, e\\.g\\. mesh logs \\S+ reviews-v1\\.$`, 'm');
  expect(here.stderr).toMatch(listed);
  const named = await mesh('logs', dir, 'reviews-v1');
  expect(named.code, named.stderr).toBe(0);
  expect(named.stdout).not.toBe('');
  expect((await mesh('down', dir)).code).toBe(0);
  expect(await processesIn(dir)).toEqual([]);
}
