// `mesh token` as a user runs it: a JWT that verifies against the JWKS it writes, the claims and
// lifetime asked for, the key kept (0600) across runs, and usage mistakes as sentences.
import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mesh } from '../integration/process/harness.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localmesh-token-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function decode(token: string) {
  const [header, payload, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString()),
    signed: `${header}.${payload}`,
    signature: Buffer.from(signature!, 'base64url'),
  };
}

describe('mesh token', () => {
  it('mints an RS256 token that verifies with the JWKS it writes, with the claims asked for', async () => {
    const run = await mesh('token', dir, '--sub', 'alice', '--aud', 'shop', '--aud', 'admin', '--claims', 'groups=["dev","ops"]', '--claims', 'team=blue', '--expires', '10m');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('made a signing key');
    const { header, payload, signed, signature } = decode(run.stdout.trim());
    const jwks = JSON.parse(await readFile(join(dir, '.mesh', 'token', 'jwks.json'), 'utf8'));
    const [key] = jwks.keys;
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: key.kid });
    expect(verify('sha256', Buffer.from(signed), createPublicKey({ key, format: 'jwk' }), signature)).toBe(true);
    expect(payload).toMatchObject({ iss: 'localmesh', sub: 'alice', aud: ['shop', 'admin'], groups: ['dev', 'ops'], team: 'blue' });
    expect(payload.exp - Math.floor(Date.now() / 1000)).toBeGreaterThan(590);
    expect((await stat(join(dir, '.mesh', 'token', 'key.pem'))).mode & 0o777).toBe(0o600);
  });

  it('keeps the key: the next run signs with the same one; --print-jwks prints the key set; --expires=-5m is expired', async () => {
    const jwks = await mesh('token', dir, '--print-jwks');
    expect(jwks.stderr).toBe('');
    expect(JSON.parse(jwks.stdout)).toEqual(JSON.parse(await readFile(join(dir, '.mesh', 'token', 'jwks.json'), 'utf8')));
    const expired = decode((await mesh('token', dir, '--expires=-5m', '--issuer', 'https://idp.example')).stdout.trim());
    expect(expired.header.kid).toBe(JSON.parse(jwks.stdout).keys[0].kid);
    expect(expired.payload.iss).toBe('https://idp.example');
    expect(expired.payload.exp).toBeLessThan(Math.floor(Date.now() / 1000) - 290);
  });

  it('says what is wrong with --claims and --expires', async () => {
    const claims = await mesh('token', dir, '--claims', 'oops');
    expect([claims.code, claims.stderr.split('\n')[0]]).toEqual([2, "mesh token: --claims takes NAME=VALUE, not 'oops': e.g. --claims group=admin."]);
    const expires = await mesh('token', dir, '--expires', 'soon');
    expect(expires.stderr.split('\n')[0]).toBe("mesh token: --expires takes a duration such as 1h, 10m or -5m (already expired), not 'soon'.");
  });
});
