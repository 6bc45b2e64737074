// A running canary's files in DIR/.mesh/: canary.json (its state, published after every step and
// check, read by the dashboard and by `mesh canary --pause …`) and canary-command (one command
// waiting for the canary: pause, resume, promote, abort; taken, then removed).
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeJson } from '../runtime/json-file.ts';
import type { CanaryState, Command } from './run.ts';

const statePath = (dir: string) => join(resolve(dir), '.mesh', 'canary.json');
const commandPath = (dir: string) => join(resolve(dir), '.mesh', 'canary-command');

export const writeCanaryState = (dir: string, state: CanaryState) => writeJson(statePath(dir), state);

export async function readCanaryState(dir: string): Promise<CanaryState | undefined> {
  return readFile(statePath(dir), 'utf8').then((t) => JSON.parse(t) as CanaryState, () => undefined);
}

/** Whether a canary is steering its route now (not finished). */
export const canaryActive = (state: CanaryState | undefined): state is CanaryState => state?.phase === 'progressing' || state?.phase === 'paused';

export const sendCanaryCommand = (dir: string, command: Command) => writeJson(commandPath(dir), { command, at: Date.now() });

export const clearCanaryCommand = (dir: string) => rm(commandPath(dir), { force: true });

/** The command waiting, if any (removed once taken). */
export async function takeCanaryCommand(dir: string): Promise<Command | undefined> {
  const text = await readFile(commandPath(dir), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  await clearCanaryCommand(dir);
  try {
    return (JSON.parse(text) as { command: Command }).command;
  } catch {
    return undefined;
  }
}
