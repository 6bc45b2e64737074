// `mesh dashboard` in a real pseudo-terminal against examples/canary rewritten with the Gateway
// API (test/fixtures/gateway-api-canary: a Gateway, version Services and an HTTPRoute 90/10), on
// the process runtime: three → on the HTTPRoute's rule move its backendRef weights to 75/25 in
// reviews.yaml (comments kept), and the gateway's traffic follows.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../../src/load/generator.ts';
import { binomialCheck } from '../../helpers/traffic.ts';
import { mesh, sleep, upExample } from './harness.ts';

const FIXTURE = 'test/fixtures/gateway-api-canary';
const canary = upExample('canary', {
  async prepare(dir) {
    // The example's route tests and Canary plan name the subsets of its DestinationRule, which this form has not.
    for (const f of ['routes.test.yaml', 'canary.yaml']) await rm(join(dir, f), { force: true });
    for (const f of ['gateway.yaml', 'reviews.yaml']) await copyFile(join(FIXTURE, f), join(dir, f));
  },
});
let tty: ChildProcessWithoutNullStreams | undefined;
let screen = '';

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>78]/g, '');

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms. Screen:\n${plain(screen).slice(-3000)}`);
    await sleep(20);
  }
}

afterAll(() => {
  tty?.kill('SIGKILL'); // before upExample's mesh down (after-hooks run last registered first)
});

describe('mesh dashboard on an HTTPRoute', () => {
  it('→ three times on the rule: reviews.yaml says 75/25 in its backendRefs and the gateway splits so', async () => {
    const command = `stty rows 24 cols 80; exec '${process.execPath}' bin/mesh.js dashboard '${canary.dir}'`;
    tty = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1' } });
    tty.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => tty!.on('exit', resolve));

    await until('the dashboard shows the rule and synced proxies', () => /HTTPRoute reviews rules\[0\]/.test(plain(screen)) && /mesh-gateway +running +SYNCED/.test(plain(screen)), 15_000);
    expect(plain(screen)).toMatch(/reviews-v1 █+░+ +90%/);
    const file = join(canary.dir, 'reviews.yaml');
    const before = await readFile(file, 'utf8');
    for (let i = 0; i < 3; i++) {
      if (i > 0) await sleep(100);
      tty.stdin.write('\x1b[C');
    }
    await until('reviews.yaml says 75/25', async () => (await readFile(file, 'utf8')).includes('weight: 25'), 5000);
    expect(await readFile(file, 'utf8')).toBe(
      before.replace('weight: 90   # stable', 'weight: 75   # stable').replace('weight: 10   # canary', 'weight: 25   # canary'),
    );
    await until('the screen shows 75/25', () => /reviews-v1 █+░+ +75%/.test(plain(screen)) && /reviews-v2 █+░+ +25%/.test(plain(screen)), 3000);

    await sleep(1000);
    const load = await mesh('load', '--dir', canary.dir, '--rps', '200', '--duration', '2s', '--json');
    expect(load.code, load.stderr).toBe(0);
    const result = JSON.parse(load.stdout) as LoadResult;
    const check = binomialCheck(result.byVersion.v2 ?? 0, result.requests, 0.25);
    expect(result.byStatus).toEqual({ 200: result.requests });
    expect(check.ok, `${JSON.stringify(result.byVersion)}; ${check.message}`).toBe(true);

    tty.stdin.write('q');
    expect(await Promise.race([exited, sleep(5000).then(() => 'still running')])).toBe(0);
  }, 60_000);
});
