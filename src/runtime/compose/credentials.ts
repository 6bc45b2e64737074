// Docker's own credentials for a pull through the Engine API, read as the docker CLI reads them:
// $DOCKER_CONFIG/config.json (default ~/.docker/config.json), a credential helper named for the
// registry (credHelpers) or for all (credsStore, e.g. Docker Desktop's `desktop`), else the
// `auths` entry. None found: the pull is anonymous, as `docker pull` would be. Mirrors are the
// engine's own setting (daemon.json) and need nothing here.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export interface AuthConfig {
  username: string;
  password: string;
  serveraddress: string;
}

/**
 * The registry an image reference names: its first component when that is a host, else the
 * engine's default registry (`index`: the engine's IndexServerAddress, as `docker info` reports it).
 */
export function registryOf(image: string, index: string): string {
  const first = image.split('/')[0]!;
  const isHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? first : index;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export async function credentialsFor(image: string, index: string, env: Record<string, string | undefined> = process.env): Promise<AuthConfig | undefined> {
  const file = join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  const config = await readFile(file, 'utf8').then((t) => JSON.parse(t) as DockerConfig, () => undefined);
  if (!config) return undefined;
  const registry = registryOf(image, index);
  // The docker CLI keys the default registry by its index address; others by host, with or without a scheme.
  const keys = registry === index ? [index, new URL(index).host] : [registry, `https://${registry}`];
  const helper = keys.map((k) => config.credHelpers?.[k]).find(Boolean) ?? config.credsStore;
  if (helper) {
    const got = await execa(`docker-credential-${helper}`, ['get'], { input: registry, reject: false, timeout: 10_000 }).catch(() => undefined);
    if (got?.exitCode === 0) {
      try {
        const { Username, Secret } = JSON.parse(String(got.stdout)) as { Username: string; Secret: string };
        if (Username && Secret) return { username: Username, password: Secret, serveraddress: registry };
      } catch {
        // not what a helper answers: go on without
      }
    }
  }
  const auth = keys.map((k) => config.auths?.[k]?.auth).find(Boolean);
  if (!auth) return undefined;
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: registry };
}
