// Process groups under a keeper shell: started with logs, found running, stopped with SIGTERM,
// killed when they ignore it; what a command starts goes with it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { start, stillRunning, stopAll } from '../../../../src/runtime/process/supervise.ts';

const dir = await mkdtemp(join(tmpdir(), 'localmesh-supervise-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const spec = (name: string, command: string[] | string) => ({ name, role: 'app' as const, command, cwd: dir, env: { PATH: process.env.PATH! }, log: join(dir, `${name}.log`) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('supervise', () => {
  it('runs a command line with its output in the log and says how it exited', async () => {
    const s = start(spec('echo', 'echo "hello  there"; exit 3'));
    expect(await s.exited).toBe('exited with code 3');
    expect(await readFile(s.record.log, 'utf8')).toBe('hello  there\n');
    expect(s.record.command).toEqual(['echo "hello  there"; exit 3']);
  });

  it('says when a command is not found', async () => {
    expect(await start(spec('missing', ['no-such-command-here'])).exited).toBe('could not start no-such-command-here (not found)');
  });

  it('stops a group with SIGTERM, children included', async () => {
    const s = start(spec('tree', ['sh', '-c', 'sleep 30 & sleep 30; wait']));
    await sleep(100);
    expect(stillRunning([s.record])).toHaveLength(1);
    expect(await stopAll([s.record], 2000)).toEqual([]);
    expect(stillRunning([s.record])).toEqual([]);
  });

  it('kills with SIGKILL what ignores SIGTERM after the grace period', async () => {
    const s = start(spec('stubborn', ['sh', '-c', 'trap "" TERM; while true; do sleep 0.05; done']));
    await sleep(100);
    const started = Date.now();
    expect(await stopAll([s.record], 300)).toEqual(['stubborn']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(stillRunning([s.record])).toEqual([]);
  });

  it('does not count a pid that now belongs to another process', async () => {
    const s = start(spec('reused', ['sleep', '30']));
    await sleep(50);
    expect(stillRunning([{ ...s.record, startTime: '1' }])).toEqual([]);
    await stopAll([s.record], 1000);
  });
});
