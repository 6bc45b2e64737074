// The supervisor's restart policy (pure), and the Supervisor on real processes: a command that
// dies is started again with a new pid and counted; one that keeps dying is given up with a sentence.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProcessRecord } from '../../../../src/runtime/process/state.ts';
import { afterCrash, alive, RESTART, start, stopAll, Supervisor, type CrashHistory } from '../../../../src/runtime/process/supervise.ts';

const dir = await mkdtemp(join(tmpdir(), 'localmesh-restart-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const spec = (name: string, command: string) => ({ name, role: 'app' as const, command, cwd: dir, env: { PATH: process.env.PATH! }, log: join(dir, `${name}.log`) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('afterCrash', () => {
  const fresh: CrashHistory = { times: [], streak: 0 };

  it('waits 100 ms, then doubles for each crash in a row, up to 5 s', () => {
    let history = fresh;
    const delays: Array<number | undefined> = [];
    // One crash a minute apart (never 5 within a minute), each after 1 s of running.
    for (let i = 0; i < 9; i++) {
      const next = afterCrash(history, 1000, i * 61_000);
      delays.push(next.delayMs);
      history = next.history;
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  });

  it('starts again at 100 ms after a process ran 10 s', () => {
    const twice = afterCrash(afterCrash(fresh, 1000, 0).history, 1000, 61_000).history;
    expect(afterCrash(twice, 9_999, 200_000).delayMs).toBe(400);
    expect(afterCrash(twice, RESTART.resetAfterMs, 200_000).delayMs).toBe(100);
  });

  it('gives up at the 5th crash within a minute, not when the earlier ones are older', () => {
    let history = fresh;
    for (const at of [0, 1000, 2000, 3000]) {
      const next = afterCrash(history, 20_000, at);
      expect(next.delayMs).toBe(100);
      history = next.history;
    }
    expect(afterCrash(history, 20_000, 59_999).delayMs).toBeUndefined();
    expect(afterCrash(history, 20_000, 60_001).delayMs).toBe(100);
  });
});

describe('Supervisor', () => {
  it('starts a killed process again with a new pid and counts it; once stopped, starts nothing', async () => {
    const s = spec('sleeper', 'sleep 30');
    const first = start(s);
    let records: ProcessRecord[] = [first.record];
    const lines: string[] = [];
    const supervisor = new Supervisor([s], records, { meshDir: dir, say: (l) => lines.push(l), changed: async (r) => void (records = r) }, [first]).start();
    process.kill(-first.record.pid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (!(records[0]!.pid !== first.record.pid && alive(records[0]!))) {
      if (Date.now() > deadline) throw new Error(`not restarted: ${lines.join('\n')}`);
      await sleep(20);
    }
    expect(records[0]!.restarts).toBe(1);
    expect(lines[0]).toMatch(/^sleeper (exited with SIGKILL|is gone); restarting it in 100 ms \(restart 1\)\.$/);
    await supervisor.stop();
    const last = records[0]!;
    process.kill(-last.pid, 'SIGKILL');
    await sleep(500);
    expect(records[0]).toBe(last);
    await stopAll(records);
  });

  it('gives up a command that keeps crashing, with a sentence naming its log', async () => {
    const s = spec('crasher', 'exit 1');
    const first = start(s);
    let records: ProcessRecord[] = [first.record];
    const supervisor = new Supervisor([s], records, {
      meshDir: 'examples/x',
      say: () => undefined,
      changed: async (r) => void (records = r),
      policy: { ...RESTART, firstMs: 10, maxMs: 20 },
    }, [first]).start();
    const deadline = Date.now() + 5000;
    while (!records[0]!.gaveUp) {
      if (Date.now() > deadline) throw new Error(`not given up: ${JSON.stringify(records)}`);
      await sleep(20);
    }
    await supervisor.stop();
    expect(records[0]!.restarts).toBe(4);
    expect(records[0]!.gaveUp).toBe(
      `crasher crashed 5 times within a minute (last: exited with code 1) and is no longer restarted; see its log ${s.log}, ` +
        'then run mesh down examples/x and mesh up examples/x.',
    );
  });
});
