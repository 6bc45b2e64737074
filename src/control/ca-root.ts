// Where the mesh's root CA lives: DIR/.mesh/ca/root-cert.pem and root-key.pem (0600), made on
// first use and read back on every later start, so a restarted control plane signs with the same
// root and the proxies' trust bundle does not change.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateAuthority, KeyPairPem } from './ca.ts';

/** Ten years: the root outlives any laptop's mesh. */
const ROOT_LIFETIME_MS = 10 * 365 * 24 * 3600_000;

/**
 * The authority of a root. The X.509 library (about 20 MB once loaded) is loaded here, on first
 * use: a mesh without mTLS or local gateway certificates never loads it.
 */
export async function authorityOf(root: Promise<KeyPairPem>): Promise<CertificateAuthority> {
  const [{ CertificateAuthority }, pair] = await Promise.all([import('./ca.ts'), root]);
  return new CertificateAuthority(pair);
}

export function caDir(meshDir: string): string {
  return join(meshDir, '.mesh', 'ca');
}

/** The mesh's root, made and written on first use. */
export async function loadOrCreateRoot(meshDir: string, now = new Date()): Promise<KeyPairPem> {
  const dir = caDir(meshDir);
  const certFile = join(dir, 'root-cert.pem');
  const keyFile = join(dir, 'root-key.pem');
  try {
    return { certPem: await readFile(certFile, 'utf8'), keyPem: await readFile(keyFile, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { createRoot } = await import('./ca.ts');
  const root = await createRoot(now, ROOT_LIFETIME_MS);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(keyFile, root.keyPem, { mode: 0o600, flag: 'wx' });
    await chmod(keyFile, 0o600);
    await writeFile(certFile, root.certPem, { mode: 0o644 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') throw error;
    throw new Error(`the mesh CA cannot write its root to ${dir} (${code}): mTLS needs that directory writable by the control plane the first time`, { cause: error });
  }
  return root;
}
