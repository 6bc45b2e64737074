// The web view's per-run write token: made at random when the control plane starts, kept in
// DIR/.mesh/ui-token (0600, only the user reads it) for `mesh ui` to put in the URL it opens.
// Every write (POST) of the web view must carry it: a page of another site knows none.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const TOKEN_HEADER = 'x-mesh-token';

export const tokenFile = (dir: string): string => join(dir, '.mesh', 'ui-token');

/** A new token, written to DIR/.mesh/ui-token; a sentence as the Error when it cannot be written. */
export async function createToken(dir: string): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  try {
    await mkdir(join(dir, '.mesh'), { recursive: true });
    await writeFile(tokenFile(dir), token + '\n', { mode: 0o600 });
  } catch (error) {
    throw new Error(`The web view's token could not be written to ${tokenFile(dir)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the web view can show the mesh but not change it.`);
  }
  return token;
}

/** The token of the control plane running for DIR, or undefined when none was written. */
export async function readToken(dir: string): Promise<string | undefined> {
  const text = await readFile(tokenFile(dir), 'utf8').catch(() => undefined);
  return text?.trim() || undefined;
}

/** Whether `given` (a header's value) is the token, compared in constant time. */
export function tokenMatches(token: string | undefined, given: string | string[] | undefined): boolean {
  if (!token || typeof given !== 'string') return false;
  const a = Buffer.from(token);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
