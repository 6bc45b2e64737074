// mesh logs: which files, prefixed lines, following new lines.
import { mkdir, mkdtemp, appendFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logFiles, showLogs } from '../../../../src/runtime/process/logs.ts';
import { statePaths } from '../../../../src/runtime/process/state.ts';

const dir = await mkdtemp(join(tmpdir(), 'localmesh-logs-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const paths = statePaths(dir);
await mkdir(paths.logs, { recursive: true });
for (const name of ['mesh-control', 'reviews-v1', 'reviews-v1-proxy', 'ratings-v1']) await writeFile(paths.log(name), `${name} started\n`);

describe('mesh logs', () => {
  it('picks a service (apps and sidecars), one process, or all', async () => {
    const names = async (filter?: string) => (await logFiles(dir, filter)).map((f) => f.slice(paths.logs.length + 1));
    expect(await names('reviews')).toEqual(['reviews-v1.log', 'reviews-v1-proxy.log']);
    expect(await names('reviews-v1-proxy')).toEqual(['reviews-v1-proxy.log']);
    expect(await names()).toHaveLength(4);
    expect(await names('details')).toEqual([]);
  });

  it('prefixes lines with the process name when there are several, and follows new lines', async () => {
    let out = '';
    const abort = new AbortController();
    const shown = showLogs(dir, { filter: 'reviews', follow: true, write: (t) => (out += t), signal: abort.signal });
    await new Promise((r) => setTimeout(r, 100));
    await appendFile(paths.log('reviews-v1'), 'GET / 200\npart');
    await new Promise((r) => setTimeout(r, 400));
    abort.abort();
    expect(await shown).toBe(2);
    expect(out).toBe('reviews-v1       | reviews-v1 started\nreviews-v1-proxy | reviews-v1-proxy started\nreviews-v1       | GET / 200\n');
  });

  it('prints one process without a prefix', async () => {
    let out = '';
    await showLogs(dir, { filter: 'ratings-v1', follow: false, write: (t) => (out += t) });
    expect(out).toBe('ratings-v1 started\n');
  });
});
