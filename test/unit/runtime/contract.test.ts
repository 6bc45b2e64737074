// The Runtime contract: a third runtime is one folder (fake/) plus one registration line, and the
// CLI (mesh up, status, logs, down) drives it through the contract alone, as it does the
// process and Compose runtimes. Also the questions asked of all runtimes (runtime/contract.ts).
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { Runtimes } from '../../../src/runtime/contract.ts';
import { registeredRuntimes } from '../../../src/runtime/registry.ts';
import { fakeRuntime } from './fake/index.ts';

const EXAMPLE = new URL('../../../examples/canary/', import.meta.url).pathname;
let root: string;
let dir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'localmesh-contract-'));
  dir = join(root, 'canary');
  await cp(EXAMPLE, dir, { recursive: true });
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function cli(runtimes: Runtimes, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(String(line)));
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(String(line)));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((text) => (out.push(String(text).trimEnd()), true));
  try {
    return { code: await main(argv, runtimes), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

describe('a third runtime: one folder and one registration line', () => {
  // The registration line, as registry.ts would have it.
  const runtimes = new Runtimes([fakeRuntime(), ...registeredRuntimes()]);

  it('runs through mesh up, status, logs and down, with nothing in the CLI knowing it', async () => {
    const up = await cli(runtimes, 'up', '-d', dir);
    expect(up.code, up.err).toBe(0);
    expect(up.out).toContain('A fake answers: using the fake runtime.');
    expect(up.out).toContain('Faked 2 proxies');

    const status = await cli(runtimes, 'status', '--json', dir);
    const parsed = JSON.parse(status.out) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      runtime: 'fake',
      where: 'fake of 2 proxies',
      fake: 'yes',
      api: 'http://127.0.0.1:9/',
      gateways: ['http://127.0.0.1:8080/'],
      workloads: [{ name: 'reviews-v1', state: 'running' }, { name: 'reviews-v2', state: 'running' }],
    });
    // Its API does not answer: said, and not healthy.
    expect(parsed.apiError).toMatch(/^the control plane at http:\/\/127\.0\.0\.1:9\/ does not answer/);
    expect(status.code).toBe(1);

    const logs = await cli(runtimes, 'logs', dir, 'reviews');
    expect(logs.code).toBe(0);
    expect(logs.out).toBe('reviews-v1 | faked\nreviews-v2 | faked');
    expect(await runtimes.logTail(dir, 'reviews-v1', 10)).toEqual(['reviews-v1 faked']);

    const again = await cli(runtimes, 'up', '--runtime', 'fake', '-d', dir);
    expect(again.code).toBe(0);

    const down = await cli(runtimes, 'down', dir);
    expect(down.code).toBe(0);
    expect(down.out).toContain('Fake stopped.');
    expect(await runtimes.running(dir)).toBeUndefined();
  });

  it('--runtime names the registered runtimes; one that cannot run here says why', async () => {
    const bogus = await cli(runtimes, 'up', '--runtime', 'bogus', dir);
    expect(bogus.code).toBe(2);
    expect(bogus.err).toContain('--runtime is fake, docker or process, not bogus.');
    const off = new Runtimes([fakeRuntime({ available: false }), ...registeredRuntimes()]);
    const refused = await cli(off, 'up', '--runtime', 'fake', dir);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe('mesh up: The fake runtime is switched off.');
  });
});

describe('Runtimes', () => {
  it('detect takes the first runtime that can run here, saying why with the reason the one before could not', async () => {
    const later = fakeRuntime();
    const runtimes = new Runtimes([fakeRuntime({ available: false }), later]);
    expect(await runtimes.detect()).toEqual({ runtime: later, why: 'No fake answers: using the fake runtime.' });
    await expect(new Runtimes([fakeRuntime({ available: false })]).detect()).rejects.toThrow('no runtime can run here (No fake answers).');
  });

  it('knows the process and Compose runtimes by name, in the order mesh up asks them', () => {
    expect(new Runtimes(registeredRuntimes()).names()).toEqual(['docker', 'process']);
  });

  it('finds no mesh in a directory none runs from, and says so', async () => {
    const runtimes = new Runtimes([fakeRuntime()]);
    expect(await runtimes.running(root)).toBeUndefined();
    expect(await runtimes.noMeshRuns(root, (d) => `mesh logs ${d}`)).toBe(`no mesh runs in ${root} (mesh up ${root} starts one)`);
  });
});
