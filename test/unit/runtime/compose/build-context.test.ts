// Which build contexts mesh up builds again: a content hash per context (.dockerignore applied,
// the Dockerfile and args included), compared with the one recorded at the last build.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHash, ignoreTest, recordBuilds, staleBuilds } from '../../../../src/runtime/compose/build-context.ts';

const dir = await mkdtemp(join(tmpdir(), 'localmesh-build-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('ignoreTest (.dockerignore patterns)', () => {
  it('matches a path and what is below it, with *, ? and **', () => {
    expect(ignoreTest('node_modules')('node_modules/x/y.js')).toBe(true);
    expect(ignoreTest('node_modules')('src/node_modules')).toBe(false);
    expect(ignoreTest('*.log')('debug.log')).toBe(true);
    expect(ignoreTest('*.log')('logs/debug.log')).toBe(false);
    expect(ignoreTest('**/*.log')('logs/debug.log')).toBe(true);
    expect(ignoreTest('/tmp?')('tmp1/a')).toBe(true);
    expect(ignoreTest('a.b')('axb')).toBe(false);
  });
});

describe('buildHash and staleBuilds', () => {
  const context = join(dir, 'app');
  const build = { service: 'app-v1', context: 'app' };

  it('changes with a file of the context, its Dockerfile or args; not with an ignored file', async () => {
    await mkdir(join(context, 'node_modules'), { recursive: true });
    await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
    await writeFile(join(context, 'main.py'), 'print(1)\n');
    await writeFile(join(context, '.dockerignore'), 'node_modules\n*.log\n');
    const first = await buildHash(dir, build);
    expect(await buildHash(dir, build)).toBe(first);
    await writeFile(join(context, 'debug.log'), 'noise');
    await writeFile(join(context, 'node_modules', 'x.js'), 'noise');
    expect(await buildHash(dir, build)).toBe(first);
    await writeFile(join(context, 'main.py'), 'print(2)\n');
    const edited = await buildHash(dir, build);
    expect(edited).not.toBe(first);
    expect(await buildHash(dir, { ...build, args: { MODE: 'dev' } })).not.toBe(edited);
    await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY main.py /\n');
    expect(await buildHash(dir, build)).not.toBe(edited);
  });

  it('a context is stale before its first build and after a change, not after its build was recorded', async () => {
    expect(await staleBuilds(dir, [build])).toMatchObject([{ service: 'app-v1', reason: 'first' }]);
    const [stale] = await staleBuilds(dir, [build]);
    await recordBuilds(dir, { 'app-v1': stale!.hash });
    expect(await staleBuilds(dir, [build])).toEqual([]);
    await writeFile(join(context, 'main.py'), 'print(3)\n');
    expect(await staleBuilds(dir, [build])).toMatchObject([{ service: 'app-v1', reason: 'changed' }]);
  });
});
