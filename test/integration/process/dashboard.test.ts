// `mesh dashboard` in a real pseudo-terminal (util-linux `script`, part of every Debian) against
// examples/canary run by the process runtime: three → on the route move the split 90/10 → 75/25
// in reviews.yaml (comments kept), and the traffic follows within about a second.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../../src/load/generator.ts';
import { binomialCheck } from '../../helpers/traffic.ts';
import { mesh, sleep, upExample } from './harness.ts';

const canary = upExample('canary');
let tty: ChildProcessWithoutNullStreams | undefined;
let screen = '';

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>78]/g, '');

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms. Screen:\n${plain(screen).slice(-3000)}`);
    await sleep(20);
  }
  return performance.now();
}

afterAll(() => {
  tty?.kill('SIGKILL'); // before upExample's mesh down (after-hooks run last registered first)
});

describe('mesh dashboard in a terminal', () => {
  it('→ three times on the route: the YAML says 75/25 and the observed split follows within a second; r steps back one', async () => {
    const command = `stty rows 24 cols 80; exec '${process.execPath}' bin/mesh.js dashboard '${canary.dir}'`;
    tty = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1' } });
    tty.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => tty!.on('exit', resolve));

    await until('the dashboard shows the route and synced proxies', () => /reviews http\[0\]/.test(plain(screen)) && /mesh-gateway +running +SYNCED/.test(plain(screen)), 15_000);
    expect(plain(screen)).toMatch(/v1 █+░+ +90%/);
    const before = await readFile(join(canary.dir, 'reviews.yaml'), 'utf8');
    let pressed = 0;
    for (let i = 0; i < 3; i++) {
      if (i > 0) await sleep(100);
      tty.stdin.write('\x1b[C');
      pressed = performance.now();
    }
    const written = await until('reviews.yaml says 75/25', async () => (await readFile(join(canary.dir, 'reviews.yaml'), 'utf8')).includes('weight: 25'), 5000);
    console.info(`dashboard: three → written to reviews.yaml ${Math.round(written - pressed)} ms after the last key`);
    // Only the two numbers changed: comments and spacing byte for byte.
    expect(await readFile(join(canary.dir, 'reviews.yaml'), 'utf8')).toBe(
      before.replace('weight: 90   # stable', 'weight: 75   # stable').replace('weight: 10   # canary', 'weight: 25   # canary'),
    );
    await until('the screen shows 75/25', () => /v1 █+░+ +75%/.test(plain(screen)) && /v2 █+░+ +25%/.test(plain(screen)), 3000);

    // A second after the write, the gateway splits 75/25.
    await sleep(Math.max(0, written + 1000 - performance.now()));
    const load = await mesh('load', '--dir', canary.dir, '--rps', '200', '--duration', '2s', '--json');
    expect(load.code, load.stderr).toBe(0);
    const result = JSON.parse(load.stdout) as LoadResult;
    const check = binomialCheck(result.byVersion.v2 ?? 0, result.requests, 0.25);
    console.info(`dashboard: from 1 s after the write, ${result.requests} requests: ${JSON.stringify(result.byVersion)}; ${check.message}`);
    expect(result.byStatus).toEqual({ 200: result.requests });
    expect(check.ok, check.message).toBe(true);

    // And the dashboard's own observed split (the /traffic of the last seconds) shows it too.
    // Within ±10 points: a 3 s window of a few hundred requests on a loaded machine.
    await until('the screen shows the observed split near 75/25', () => /v2 █+░+ +25% +got +(1[5-9]|2\d|3[0-5])%/.test(plain(screen.slice(-4000))), 10_000);

    // r steps back one change (→ 80/20) and the status line says so, also once it is written.
    screen = '';
    tty.stdin.write('r');
    await until('reviews.yaml says 80/20', async () => (await readFile(join(canary.dir, 'reviews.yaml'), 'utf8')).includes('weight: 20'), 5000);
    await sleep(500);
    expect(plain(screen)).toMatch(/Rolled back reviews http\[0\] to v1 80 \/ v2 20 \(2 more steps back\): Virtual/); // the written edit follows, cut at 80 columns

    tty.stdin.write('q');
    expect(await Promise.race([exited, sleep(5000).then(() => 'still running')])).toBe(0);
  }, 60_000);
});
