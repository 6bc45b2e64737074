// A process that dies comes back: under steady load through the gateway, `kill -9` of a sidecar
// Envoy, of an app and of the control plane of a `mesh up -d` mesh; the supervisor restarts each
// with no step by the user and the failed requests stop within 10 s. A process that keeps
// crashing is given up with a sentence in `mesh status`.
import { describe, expect, it } from 'vitest';
import { unsynced } from '../../../src/runtime/readiness.ts';
import { readState } from '../../../src/runtime/process/state.ts';
import { alive } from '../../../src/runtime/process/supervise.ts';
import { failed, mesh, sleep, startLoad, upExample } from './harness.ts';
import { realPid } from './pids.ts';

const canary = upExample('canary');

async function record(name: string) {
  const state = await readState(canary.dir);
  return state?.processes.find((p) => p.name === name);
}

/**
 * `kill -9` of the process NAME runs, under load; waits until it runs again, then 2 s more.
 * Returns the counts: requests, failed ones, and the time from the kill to the last failure.
 */
async function killUnderLoad(name: string) {
  const before = (await record(name))!;
  const load = startLoad(canary.gatewayPort);
  await sleep(1000);
  const victim = await realPid(before.pid);
  const killedAt = performance.now();
  process.kill(victim, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const now = await record(name);
    if (now && now.pid !== before.pid && alive(now)) break;
    if (Date.now() > deadline) {
      await load.stop();
      throw new Error(`${name} was not restarted within 10 s (state: ${JSON.stringify(now)})`);
    }
    await sleep(100);
  }
  const restartedMs = Math.round(performance.now() - killedAt);
  await sleep(3000);
  const end = performance.now();
  const responses = await load.stop();
  const after = responses.filter((r) => r.at > killedAt);
  const bad = failed(after) as typeof after;
  const recoveryMs = bad.length ? Math.round(Math.max(...bad.map((r) => r.at)) - killedAt) : 0;
  const last2s = responses.filter((r) => r.at > end - 2000);
  console.info(
    `kill -9 ${name}: ${after.length} requests after the kill, ${bad.length} failed; restarted after ${restartedMs} ms, ` +
      `last failure ${recoveryMs} ms after the kill`,
  );
  return { bad, recoveryMs, last2s, restarts: (await record(name))!.restarts };
}

describe('a crashed process of a mesh up -d mesh is restarted by the supervisor', () => {
  it('mesh up -d leaves a supervisor running, recorded in state.json', async () => {
    const state = (await readState(canary.dir))!;
    expect(state.supervisor, 'state.supervisor').toBeDefined();
    expect(alive(state.supervisor!)).toBe(true);
  });

  for (const name of ['reviews-v1-proxy', 'reviews-v1', 'mesh-control']) {
    it(`kill -9 of ${name} under load: back to 0 failed requests within 10 s`, async () => {
      const { bad, recoveryMs, last2s, restarts } = await killUnderLoad(name);
      expect(recoveryMs, `${bad.length} failed, the last ${recoveryMs} ms after the kill`).toBeLessThan(10_000);
      expect(last2s.length).toBeGreaterThan(20);
      expect(failed(last2s)).toEqual([]);
      expect(last2s.some((r) => r.version === 'v1'), 'v1 answers again').toBe(true);
      expect(restarts).toBe(1);
      // The proxies are served by the restarted control plane (or were never left by their own).
      expect(await unsynced(canary.api, ['mesh-gateway', 'reviews-v1', 'reviews-v2'])).toEqual([]);
      const status = await mesh('status', canary.dir);
      expect(status.stdout).toMatch(new RegExp(`${name}\\s+running\\s+\\S+\\s+1\\b`));
    }, 30_000);
  }

  it('a process that keeps crashing is given up after 5 crashes within a minute, with a sentence in mesh status', async () => {
    const name = 'reviews-v2';
    for (let crash = 1; crash <= 5; crash++) {
      const before = (await record(name))!;
      process.kill(await realPid(before.pid), 'SIGKILL');
      const deadline = Date.now() + 10_000;
      for (;;) {
        const now = (await record(name))!;
        if (crash === 5 ? now.gaveUp !== undefined : now.pid !== before.pid && alive(now)) break;
        if (Date.now() > deadline) throw new Error(`crash ${crash} of ${name}: ${JSON.stringify(now)}`);
        await sleep(50);
      }
    }
    await sleep(1000);
    const now = (await record(name))!;
    expect(alive(now), 'not restarted after the 5th crash').toBe(false);
    const status = await mesh('status', canary.dir);
    expect(status.code).not.toBe(0);
    expect(status.stdout).toMatch(/reviews-v2\s+stopped/);
    expect(status.stdout).toContain('reviews-v2 crashed 5 times within a minute');
    console.info(status.stdout.split('\n').find((l) => l.includes('crashed 5 times')));
  }, 60_000);

  it('mesh status says so when the supervisor itself is gone; mesh down still stops everything', async () => {
    const { supervisor } = (await readState(canary.dir))!;
    process.kill(supervisor!.pid, 'SIGKILL');
    while (alive(supervisor!)) await sleep(20);
    const status = await mesh('status', canary.dir);
    expect(status.code).not.toBe(0);
    expect(status.stdout).toMatch(/mesh-supervisor\s+stopped/);
    expect(status.stdout).toContain('The supervisor of this run is gone');
  });

  it('mesh up -d on that half-dead run reconciles it: a new supervisor, the given-up process started again', async () => {
    const up = await mesh('up', '--runtime', 'process', '-d', canary.dir);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/is up \(started .*\): reconciling it \(1 of 6 processes to start again\)/);
    const state = (await readState(canary.dir))!;
    expect(alive(state.supervisor!)).toBe(true);
    expect(state.processes.every((p) => alive(p) && p.gaveUp === undefined), JSON.stringify(state.processes)).toBe(true);
    const status = await mesh('status', canary.dir);
    expect(status.code, status.stdout).toBe(0);
    const load = startLoad(canary.gatewayPort);
    await sleep(1500);
    const responses = await load.stop();
    expect(failed(responses)).toEqual([]);
    expect(new Set(responses.map((r) => r.version))).toEqual(new Set(['v1', 'v2']));
  }, 60_000);
});
