// Watching code switched on from the dashboard: the canary runs with `mesh up -d` (no --watch),
// v2 has a `watch:` section. A save of v2's source is left alone (the header says `watch off`);
// `w` in the dashboard turns watching on, and the next save restarts v2, which serves the new code.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readState, statePaths } from '../../../src/runtime/process/state.ts';
import { sleep, startLoad, upExample } from './harness.ts';

const V2_SOURCE = '../app-v2/server.mjs';

const canary = upExample('canary', {
  async prepare(dir) {
    await cp(join(dirname(dir), 'app'), join(dirname(dir), 'app-v2'), { recursive: true });
    const file = join(dir, 'mesh.yaml');
    const text = await readFile(file, 'utf8');
    const v2 = '          command: [node, ../app/server.mjs]\n          env: { SERVICE: reviews, VERSION: v2 }\n';
    if (!text.includes(v2)) throw new Error(`${file}: v2 is not as expected`);
    await writeFile(file, text.replace(v2, `          command: [node, ${V2_SOURCE}]\n          env: { SERVICE: reviews, VERSION: v2 }\n          watch: { paths: [../app-v2] }\n`));
  },
});
let tty: ChildProcessWithoutNullStreams | undefined;
let screen = '';

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>78]/g, '');

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms. Screen:\n${plain(screen).slice(-2000)}`);
    await sleep(20);
  }
}

const v2Pid = async () => (await readState(canary.dir))?.processes.find((p) => p.name === 'reviews-v2')?.pid;

async function edit(n: number): Promise<number> {
  const file = join(canary.dir, V2_SOURCE);
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/const body = \{ (edit: \d+, )?service/, `const body = { edit: ${n}, service`));
  return performance.now();
}

afterAll(() => {
  tty?.kill('SIGKILL');
});

describe('watching code switched from the dashboard', () => {
  it('off without --watch: a save is left alone; w turns it on and the next save restarts v2 with the new code', async () => {
    const command = `stty rows 24 cols 120; exec '${process.execPath}' bin/mesh.js dashboard '${canary.dir}'`;
    tty = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1' } });
    tty.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    await until('the header says watch off', () => /watch off/.test(plain(screen)), 15_000);

    const pid = await v2Pid();
    const load = startLoad(canary.gatewayPort, 2);
    await edit(1);
    const log = () => readFile(statePaths(canary.dir).log('mesh-supervisor'), 'utf8');
    await until('the supervisor says the change is not acted on', async () => /reviews-v2: .* changed; not acted on: watching code is off/.test(await log()));
    await sleep(500);
    expect(await v2Pid()).toBe(pid);

    tty.stdin.write('w');
    await until('the header says watch on', () => /watch on/.test(plain(screen.slice(-4000))));
    // The header shows the switch at once; the run reads it from its watch file, written just after.
    await until('the run has the switch on', async () => JSON.parse(await readFile(statePaths(canary.dir).watch, 'utf8')).on === true);
    const savedAt = await edit(2);
    await until('v2 serves edit 2', () => load.responses.some((r) => r.at > savedAt && (r.reply as { edit?: number } | undefined)?.edit === 2), 5000);
    const responses = await load.stop();
    expect(await v2Pid()).not.toBe(pid);
    expect(responses.some((r) => (r.reply as { edit?: number } | undefined)?.edit === 1 && r.at < savedAt)).toBe(false);
  }, 60_000);
});
