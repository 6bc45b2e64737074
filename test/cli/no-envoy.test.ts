// A machine with no Envoy where the PyPI wheel does not exist (macOS, arm64), as
// LOCALMESH_NO_ENVOY_WHEEL=1 makes this one: `./mesh` (the script users run) validates and
// generates without Envoy, and the process runtime, which needs one, says in one sentence how to
// get it.
import { accessSync, constants } from 'node:fs';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProgram } from '../helpers/run.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

const hasEnvoy = (dir: string): boolean => {
  try {
    accessSync(join(dir, 'envoy'), constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** This machine's PATH without any directory holding an `envoy`, the wheel switched off, no ENVOY_BIN. */
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'ENVOY_BIN')),
  PATH: (process.env.PATH ?? '').split(delimiter).filter((d) => d && !hasEnvoy(d)).join(delimiter),
  LOCALMESH_NO_ENVOY_WHEEL: '1',
};

const mesh = (...args: string[]) => runProgram(join(ROOT, 'mesh'), args, { cwd: ROOT, env, timeout: 60_000 });

const temps: string[] = [];
afterAll(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

describe('./mesh without Envoy on the machine', () => {
  it('validates and generates', async () => {
    const valid = await mesh('validate', 'examples/canary');
    expect(valid.stderr).toBe('');
    expect(valid).toMatchObject({ code: 0, stdout: expect.stringContaining('examples/canary: valid') });
    const out = await mkdtemp(join(tmpdir(), 'localmesh-no-envoy-'));
    temps.push(out);
    const generated = await mesh('generate', 'examples/canary', '--out', out);
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stderr).toBe('');
    expect((await readdir(out)).length).toBeGreaterThan(0);
  });

  it('mesh up --runtime process says in one sentence how to get Envoy, and starts nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'localmesh-no-envoy-'));
    temps.push(root);
    await cp(join(ROOT, 'examples', 'canary'), join(root, 'canary'), { recursive: true });
    await cp(join(ROOT, 'examples', 'app'), join(root, 'app'), { recursive: true });
    const up = await mesh('up', '--runtime', 'process', '-d', join(root, 'canary'));
    if (up.code === 0) await mesh('down', join(root, 'canary')); // it should not have started: stop what did
    expect(up.code).toBe(1);
    const lines = up.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mesh up: The process runtime runs Envoy on this machine, and none was found \(LOCALMESH_NO_ENVOY_WHEEL=1 [^)]*\): put `envoy` on PATH/);
    for (const way of ['ENVOY_BIN', 'PATH', 'func-e', '--runtime docker']) expect(lines[0]).toContain(way);
    expect(up.stdout).not.toContain('Starting');
    expect(await readdir(join(root, 'canary'))).not.toContain('.mesh');
  });
});
