// Running Compose for a stack: `docker compose` (v2) where the plugin answers, else
// `docker-compose` (v1); LOCALMESH_COMPOSE=v1|v2 forces one. Every call names the project
// (v1 rejects a top-level `name:`), the mesh directory as the project directory (paths in every
// file are relative to it), DIR/.mesh/compose.yaml and after it the user's own Compose files,
// merged as `docker compose -f a -f b` merges them.
import { join, resolve } from 'node:path';
import { execa } from 'execa';

export type ComposeVariant = 'v1' | 'v2';

export interface ComposeCli {
  variant: ComposeVariant;
  /** The program and its first arguments: [docker, compose] or [docker-compose]. */
  command: [string, ...string[]];
  version: string;
}

const COMMANDS: Record<ComposeVariant, [string, ...string[]]> = { v2: ['docker', 'compose'], v1: ['docker-compose'] };

async function probe(variant: ComposeVariant): Promise<ComposeCli | undefined> {
  const [file, ...args] = COMMANDS[variant];
  const result = await execa(file, [...args, 'version', '--short'], { reject: false, timeout: 10_000 });
  if (result.exitCode !== 0 || !result.stdout) return undefined;
  return { variant, command: COMMANDS[variant], version: result.stdout.trim() };
}

/** The Compose to use; an Error with a sentence when none (or not the forced one) is installed. */
export async function findCompose(env: Record<string, string | undefined> = process.env): Promise<ComposeCli> {
  const forced = env.LOCALMESH_COMPOSE || undefined;
  if (forced !== undefined && forced !== 'v1' && forced !== 'v2') {
    throw new Error(`LOCALMESH_COMPOSE is v1 (docker-compose) or v2 (docker compose), not '${forced}'.`);
  }
  const order: ComposeVariant[] = forced ? [forced] : ['v2', 'v1'];
  for (const variant of order) {
    const cli = await probe(variant);
    if (cli) return cli;
  }
  throw new Error(
    forced
      ? `LOCALMESH_COMPOSE=${forced} asks for \`${COMMANDS[forced].join(' ')}\`, which does not run here; install it or unset LOCALMESH_COMPOSE.`
      : 'Docker Compose is not installed: neither `docker compose` (v2, the CLI plugin) nor `docker-compose` (v1) runs. ' +
          'Install the Compose plugin (scripts/docker/setup does), or use --runtime process.',
  );
}

export const composeFile = (meshDir: string) => join(resolve(meshDir), '.mesh', 'compose.yaml');

/** What a Compose call works on: the project, the mesh directory, the files in merge order (absolute). */
export interface ComposeTarget {
  project: string;
  dir: string;
  files: readonly string[];
}

/** The target of the stack of DIR with the user's files `extra` (absolute) after the generated one. */
export const composeTarget = (project: string, meshDir: string, extra: readonly string[] = []): ComposeTarget => ({
  project,
  dir: resolve(meshDir),
  files: [composeFile(meshDir), ...extra],
});

/** The arguments of a Compose call on a stack. */
export function composeArgs(cli: ComposeCli, target: ComposeTarget, args: readonly string[]): [string, string[]] {
  const [file, ...first] = cli.command;
  return [file, [...first, '-p', target.project, '--project-directory', target.dir, ...target.files.flatMap((f) => ['-f', f]), ...args]];
}

/** Runs Compose on the stack; output captured (all of it, interleaved), never thrown for a failure. */
export async function runCompose(cli: ComposeCli, target: ComposeTarget, args: readonly string[], signal?: AbortSignal) {
  const [file, argv] = composeArgs(cli, target, args);
  return execa(file, argv, { reject: false, all: true, env: { COMPOSE_PROJECT_NAME: target.project }, ...(signal ? { cancelSignal: signal } : {}) });
}

/** Runs Compose with the terminal (logs -f): its output straight to ours. */
export async function runComposeInteractive(cli: ComposeCli, target: ComposeTarget, args: readonly string[], signal?: AbortSignal) {
  const [file, argv] = composeArgs(cli, target, args);
  return execa(file, argv, { reject: false, stdio: 'inherit', ...(signal ? { cancelSignal: signal } : {}) });
}

/** Compose's failure as a sentence: the common engine problems named, else its last lines. */
export function composeFailure(output: string): string {
  const last = output.trimEnd().split('\n').slice(-8).map((l) => `    ${l}`).join('\n');
  const hint =
    /port is already allocated|address already in use/i.test(output)
      ? 'A port the mesh publishes is in use'
      : /is already in use by container|Conflict\./i.test(output)
        ? 'A container name the mesh needs is taken by another container'
        : /pull access denied|manifest unknown|no such host|failed to resolve reference|i\/o timeout/i.test(output)
          ? 'An image is missing and cannot be pulled (is the registry reachable? docker pull it by hand)'
          : /operation not permitted|permission denied/i.test(output)
            ? 'The engine refused a permission the stack needs (NET_ADMIN for the capture rules)'
            : 'Compose failed';
  return `${hint}:\n${last}`;
}
