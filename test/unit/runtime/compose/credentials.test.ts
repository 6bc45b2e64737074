// Docker's own credentials for a pull, read as the docker CLI reads config.json: the `auths` entry
// of the registry an image names (the engine's index address for an image without a host), a
// credential helper that cannot run falling back to `auths`, none found meaning anonymous.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFor, registryOf } from '../../../../src/runtime/compose/credentials.ts';

const INDEX = 'https://index.example.test/v1/';
let dir = '';
const auth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localmesh-docker-config-'));
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({ auths: { [INDEX]: { auth: auth('hubuser', 'hubpass') }, 'registry.example.test:5000': { auth: auth('me', 's3:cret') } }, credHelpers: { 'helper.example.test': 'no-such-helper' } }),
  );
}, 10_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('credentialsFor', () => {
  it('names the registry of an image: a host first, else the engine index', () => {
    expect(registryOf('node:24-bookworm-slim', INDEX)).toBe(INDEX);
    expect(registryOf('envoyproxy/envoy:v1.40.0', INDEX)).toBe(INDEX);
    expect(registryOf('registry.example.test:5000/team/app:1', INDEX)).toBe('registry.example.test:5000');
    expect(registryOf('localhost/app', INDEX)).toBe('localhost');
  });

  it('reads `auths` for the index and for a registry host (a password may hold a colon)', async () => {
    const env = { DOCKER_CONFIG: dir };
    expect(await credentialsFor('node:24', INDEX, env)).toEqual({ username: 'hubuser', password: 'hubpass', serveraddress: INDEX });
    expect(await credentialsFor('registry.example.test:5000/team/app:1', INDEX, env)).toEqual({ username: 'me', password: 's3:cret', serveraddress: 'registry.example.test:5000' });
  });

  it('is anonymous without an entry, a helper that cannot run, or a config file', async () => {
    expect(await credentialsFor('other.example.test/app', INDEX, { DOCKER_CONFIG: dir })).toBeUndefined();
    expect(await credentialsFor('helper.example.test/app', INDEX, { DOCKER_CONFIG: dir })).toBeUndefined();
    expect(await credentialsFor('node:24', INDEX, { DOCKER_CONFIG: join(dir, 'none') })).toBeUndefined();
  });
});
