// `mesh up` in the foreground, in a real pseudo-terminal (util-linux `script`): it opens the
// dashboard once the mesh is ready, and quitting the dashboard stops the mesh it started.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readState } from '../../../src/runtime/process/state.ts';
import { copyExample, mesh, sleep } from './harness.ts';

let dir = '';

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>78]/g, '');

afterAll(async () => {
  if (dir) {
    await mesh('down', dir);
    await rm(dirname(dir), { recursive: true, force: true });
  }
}, 30_000);

it('mesh up in a terminal opens the dashboard; q stops the mesh', async () => {
  ({ dir } = await copyExample('canary'));
  const command = `stty rows 24 cols 80; exec '${process.execPath}' bin/mesh.js up --runtime process '${dir}'`;
  const tty = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1' } });
  let screen = '';
  tty.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => tty.on('exit', resolve));
  try {
    const start = performance.now();
    while (!/mesh-gateway +running +SYNCED/.test(plain(screen))) {
      if (performance.now() - start > 60_000) throw new Error(`no dashboard within 60 s. Screen:\n${plain(screen).slice(-3000)}`);
      await sleep(50);
    }
    expect(await readState(dir)).toBeDefined();
    tty.stdin.write('q');
    expect(await Promise.race([exited, sleep(20_000).then(() => 'still running')])).toBe(0);
    expect(plain(screen)).toContain('Stopped.');
    expect(await readState(dir)).toBeUndefined();
  } finally {
    tty.kill('SIGKILL');
  }
}, 90_000);
