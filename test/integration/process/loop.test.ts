// The save → serve loop on the process runtime, as a user's editor or script drives it:
// quick bursts of saves (in place and atomic) end with the last one serving, and a save of any
// content, however broken, never takes the control plane down.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ControlStatus } from '../../../src/control/controller.ts';
import type { ProxyStatus } from '../../../src/xds/types.ts';
import { sendMany } from '../../helpers/traffic.ts';
import { getJson, mesh, sleep, upExample } from './harness.ts';
import { adminUrls, differences, onDisk, type DiskMesh } from './served.ts';

const canary = upExample('canary');
const reviewsYaml = () => join(canary.dir, 'reviews.yaml');
let original = '';
let admins = new Map<string, string>();

/** The example's reviews.yaml with the stable/canary weights set. */
const weights = (v1: number, v2: number) =>
  original.replace(/weight: \d+(\s+# stable)/, `weight: ${v1}$1`).replace(/weight: \d+(\s+# canary)/, `weight: ${v2}$1`);

async function save(text: string, atomic: boolean): Promise<void> {
  if (!atomic) return writeFile(reviewsYaml(), text);
  await writeFile(`${reviewsYaml()}.tmp~`, text);
  await rename(`${reviewsYaml()}.tmp~`, reviewsYaml());
}

/** Waits until what serves is the compile of the files on disk; the ms it took, or the differences. */
async function served(lastGood: DiskMesh | undefined, timeoutMs = 3000): Promise<number> {
  const started = performance.now();
  let problems: string[] = [];
  while (performance.now() - started < timeoutMs) {
    problems = await differences(canary.dir, canary.api, admins, await onDisk(canary.dir), lastGood);
    if (problems.length === 0) return performance.now() - started;
    await sleep(20);
  }
  throw new Error(`not served within ${timeoutMs} ms:\n${problems.join('\n')}`);
}

/** The ms from `since` (ms since epoch) to the last ACK any proxy sent after it. */
async function lastAck(since: number): Promise<number> {
  const proxies = await getJson<ProxyStatus[]>(`${canary.api}/proxies`);
  const acks = proxies.flatMap((p) => Object.values(p.types).map((t) => t.ackedAt ?? 0)).filter((at) => at >= since);
  return Math.max(...acks) - since;
}

beforeAll(async () => {
  original = await readFile(reviewsYaml(), 'utf8');
  admins = await adminUrls(canary.dir);
  await served(undefined, 10_000); // also loads the proto codec, so later waits time the mesh only
}, 30_000);

describe('the last of many quick saves serves', () => {
  for (const atomic of [false, true]) {
    it(`50 saves 40 ms apart ${atomic ? 'by temp file + rename' : 'in place'}, the last v1=100: v1 serves everything`, async () => {
      for (let i = 0; i < 49; i++) {
        await save(i % 2 === 0 ? weights(50, 50) : weights(60, 40), atomic);
        await sleep(40);
      }
      await save(weights(100, 0), atomic);
      const savedAt = Date.now();
      const ms = await served(undefined);
      const acked = await lastAck(savedAt);
      console.log(`${atomic ? 'atomic' : 'in place'}: every proxy ACKed the last save ${acked} ms after it (seen served after ${Math.round(ms)} ms)`);
      const tally = await sendMany(100, { port: canary.gatewayPort });
      expect(tally.byVersion, tally.summary).toEqual({ v1: 100 });
      const status = await getJson<ControlStatus>(`${canary.api}/status`);
      expect(status).toMatchObject({ valid: true, pending: false });
      const cli = await mesh('status', canary.dir);
      expect(cli.stdout).toContain(`Config: valid, serving version ${status.version!.split('-')[0]}-${(await onDisk(canary.dir)).hash}.`);
      // Back to the example's weights for the next test.
      await save(original, atomic);
      await served(undefined);
    }, 30_000);
  }
});

describe('any file content, however broken', () => {
  for (const text of [': -', '&!{}', '\u0000\uFFFF', 'kind: [', '{{{{']) {
    it(`${JSON.stringify(text)} saved into reviews.yaml: the last good config serves, the API answers, the next edit serves`, async () => {
      const good = await onDisk(canary.dir);
      await writeFile(reviewsYaml(), text);
      await served(good);
      const status = await getJson<ControlStatus>(`${canary.api}/status`);
      expect(status.valid).toBe(false);
      expect(status.diagnostics.filter((d) => d.severity === 'error').length, JSON.stringify(status.diagnostics)).toBeGreaterThan(0);
      for (const d of status.diagnostics) expect(d.file).toMatch(/\.yaml$|canary$/);
      await save(weights(70, 30), true);
      await served(undefined);
      await save(original, true);
      await served(undefined);
    }, 20_000);
  }
});
