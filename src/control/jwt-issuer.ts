// A local JWT issuer for trying RequestAuthentication and `requestPrincipals` policies: an RSA
// key made on first use in DIR/.mesh/token/ (key.pem 0600, jwks.json beside it, the public half
// a RequestAuthentication's `jwks` takes), and RS256 tokens signed with it. node:crypto does it
// all (key generation, JWK export, RS256 signatures): a JWT is three base64url parts, so a
// library (jose) would add a dependency for no part we do not already have.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The issuer (`iss`) of `mesh token` unless --issuer names another. */
export const LOCAL_ISSUER = 'localmesh';

export function tokenDir(meshDir: string): string {
  return join(meshDir, '.mesh', 'token');
}

export const jwksFile = (meshDir: string) => join(tokenDir(meshDir), 'jwks.json');

export interface Issuer {
  key: KeyObject;
  kid: string;
  /** The JSON Web Key Set of the public key, on one line. */
  jwks: string;
  /** Whether the key was made now (first use). */
  created: boolean;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** RFC 7638: the key id is the SHA-256 thumbprint of the public key's required members. */
function thumbprint(jwk: { e?: string; kty?: string; n?: string }): string {
  return b64url(createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n })).digest());
}

function issuerOf(key: KeyObject, created: boolean): Issuer {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  const kid = thumbprint(jwk);
  return { key, kid, jwks: JSON.stringify({ keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] }), created };
}

/** The mesh directory's signing key, made (with its jwks.json) on first use. */
export async function loadOrCreateIssuer(meshDir: string): Promise<Issuer> {
  const dir = tokenDir(meshDir);
  const keyFile = join(dir, 'key.pem');
  try {
    return issuerOf(createPrivateKey(await readFile(keyFile, 'utf8')), false);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  await chmod(keyFile, 0o600);
  const issuer = issuerOf(privateKey, true);
  await writeFile(jwksFile(meshDir), `${issuer.jwks}\n`, { mode: 0o644 });
  return issuer;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud?: string[];
  /** Seconds from now until it expires; negative: already expired. */
  expiresInS: number;
  extra?: Record<string, unknown>;
}

/** A signed RS256 JWT. */
export function mint(issuer: Pick<Issuer, 'key' | 'kid'>, claims: TokenClaims, nowMs = Date.now()): string {
  const now = Math.floor(nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: issuer.kid };
  const aud = claims.aud?.length ? { aud: claims.aud.length === 1 ? claims.aud[0] : claims.aud } : {};
  const exp = now + claims.expiresInS;
  const payload = { ...claims.extra, iss: claims.iss, sub: claims.sub, ...aud, iat: Math.min(now, exp - 1), exp };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), issuer.key))}`;
}
