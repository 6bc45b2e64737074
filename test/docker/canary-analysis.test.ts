// mesh canary on the Compose runtime: examples/canary promoted from v1 to v2 in steps through the
// gateway container, the weights in reviews.yaml at v2 100 afterwards, exit 0.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, copyExample, mesh, type Example } from './harness.ts';

let example: Example | undefined;

beforeAll(async () => {
  example = await copyExample('canary', 'analysis');
  const up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
}, 240_000);
afterAll(() => cleanUp(example), 120_000);

describe('mesh canary (Compose runtime)', () => {
  it('promotes v2 in steps, each ACKed by the proxies and checked on their stats', async () => {
    const run = await mesh('canary', example!.dir, 'reviews', '--to', 'v2', '--steps', '50,100', '--interval', '2s', '--min-requests', '10', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { outcome: string; weightsAfter: Record<string, number>; checks: Array<{ ok: boolean; canary: { requests: number } }> };
    expect(result.outcome).toBe('promoted');
    expect(result.weightsAfter).toEqual({ v1: 0, v2: 100 });
    expect(result.checks.at(-1)!.canary.requests).toBeGreaterThanOrEqual(10);
    expect(await readFile(join(example!.dir, 'reviews.yaml'), 'utf8')).toMatch(/weight: 100 {3}# canary/);
  });
});
