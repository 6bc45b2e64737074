// The last lines of a log, for every runtime: of a file (a process's log) read from its end, and
// indented for a failure message (a process or a container that would not start).
import { open } from 'node:fs/promises';

/** At most this much of a file is read for its last lines. */
const TAIL_BYTES = 32 * 1024;

/** The last `lines` lines of a file (from at most its last 32 KiB). */
export async function lastLines(path: string, lines: number): Promise<string[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const all = buffer.toString('utf8').split('\n');
    if (size > length) all.shift(); // cut mid-line
    while (all.length && all.at(-1)!.trim() === '') all.pop();
    return all.slice(-lines);
  } finally {
    await handle.close();
  }
}

/** Lines indented under a failure message; `(empty)` for none. */
export const indented = (lines: readonly string[]): string => (lines.length ? lines.map((l) => `    ${l}`).join('\n') : '    (empty)');

/** The last lines of a log file, indented; `(no log)` when it cannot be read. */
export const fileTail = (path: string, lines = 15): Promise<string> => lastLines(path, lines).then(indented, () => '    (no log)');
