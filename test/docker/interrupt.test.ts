// Ctrl-C (SIGINT) while `mesh up --runtime docker` starts, in the foreground and with -d: until
// it is up (or `mesh up -d` has returned), Ctrl-C removes what it had started and says so; no
// container or network of the stack is left and the gateway does not answer.
import { afterAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/traffic.ts';
import { readComposeState } from '../../src/runtime/compose/state.ts';
import { cleanUp, copyExample, leftovers, meshChild, type Example } from './harness.ts';

const examples: Example[] = [];
afterAll(async () => {
  for (const example of examples) await cleanUp(example);
}, 240_000);

const INTERRUPTED = /^Interrupted \(Ctrl-C\) while starting: removed what it had started \(the Compose stack \S+\); nothing of the mesh in .+ runs\.$/m;

describe('Ctrl-C while mesh up starts (Compose runtime)', () => {
  const cases: Array<[string, RegExp, string[]]> = [
    ['at "Waiting for N proxies to be SYNCED", in the foreground', /Waiting for \d+ proxies to be SYNCED/, []],
    ['at "Starting the Compose stack" (compose up -d running), with -d', /Starting the Compose stack/, ['-d']],
  ];
  for (const [name, moment, args] of cases) {
    it(`${name}: removes the stack, says so, exits 130`, async () => {
      const example = await copyExample('canary', `int${examples.length}`);
      examples.push(example);
      const up = meshChild('up', '--runtime', 'docker', ...args, example.dir);
      await up.until(moment);
      up.child.kill('SIGINT');
      const exit = await Promise.race([up.exited, new Promise((r) => setTimeout(() => r('still running after 120 s'), 120_000))]);
      expect(exit, up.output()).toEqual({ code: 130, signal: null });
      expect(up.output()).toMatch(INTERRUPTED);
      expect(await leftovers(example.project)).toEqual([]);
      expect(await readComposeState(example.dir)).toBeUndefined();
      expect((await send({ port: example.gatewayPort, timeoutMs: 2000 })).status).not.toBe(200);
    }, 300_000);
  }
});
