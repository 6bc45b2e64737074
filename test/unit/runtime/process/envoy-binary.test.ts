// Where the process runtime looks for Envoy: ENVOY_BIN, then PATH, then the project's wheel.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvoyNotFoundError, findEnvoy, wheelPlatform } from '../../../../src/runtime/process/envoy-binary.ts';

const dir = mkdtempSync(join(tmpdir(), 'localmesh-envoy-lookup-'));
const onPath = join(dir, 'envoy');
writeFileSync(onPath, '#!/bin/sh\n');
chmodSync(onPath, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('findEnvoy', () => {
  it('takes ENVOY_BIN first, then `envoy` on PATH', () => {
    expect(findEnvoy({ ENVOY_BIN: onPath, PATH: '/nowhere' })).toBe(onPath);
    expect(() => findEnvoy({ ENVOY_BIN: join(dir, 'missing') })).toThrow(`ENVOY_BIN is set to ${join(dir, 'missing')}, but no executable file is there.`);
    expect(findEnvoy({ PATH: `/nowhere:${dir}` })).toBe(onPath);
    expect(findEnvoy({ PATH: dir, LOCALMESH_NO_ENVOY_WHEEL: '1' })).toBe(onPath);
  });

  it('then the project\'s wheel (scripts/test installed it on this Linux x86-64 machine), unless switched off', () => {
    expect(wheelPlatform('linux', 'x64')).toBe(true);
    expect([wheelPlatform('darwin', 'arm64'), wheelPlatform('linux', 'arm64'), wheelPlatform('win32', 'x64')]).toEqual([false, false, false]);
    expect(findEnvoy({ PATH: '/nowhere' })).toMatch(/\.cache\/envoy-venv\/.*\/envoy$/);
    expect(() => findEnvoy({ PATH: '/nowhere', LOCALMESH_NO_ENVOY_WHEEL: '1' })).toThrow(EnvoyNotFoundError);
  });
});
