// `mesh logs`: the process runtime's log files (DIR/.mesh/process/logs/NAME.log), all of them or
// one service's (its apps and sidecars), each line prefixed with the process name as Compose does;
// with `follow`, new lines as they are written until `signal` aborts.
import { open, readdir, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { statePaths } from './state.ts';

/** The log files for `filter`: a service name (its `SERVICE-…` processes) or a process name; all when undefined. */
export async function logFiles(dir: string, filter?: string): Promise<string[]> {
  const logs = statePaths(dir).logs;
  let names: string[];
  try {
    names = (await readdir(logs)).filter((n) => n.endsWith('.log')).map((n) => n.slice(0, -'.log'.length));
  } catch {
    return [];
  }
  return names
    .filter((n) => filter === undefined || n === filter || n.startsWith(`${filter}-`))
    .sort()
    .map((n) => statePaths(dir).log(n));
}

interface Reader {
  file: string;
  prefix: string;
  offset: number;
  partial: string;
}

async function readNew(reader: Reader, write: (text: string) => void): Promise<void> {
  const size = (await stat(reader.file)).size;
  if (size < reader.offset) reader.offset = 0; // truncated: start again
  if (size === reader.offset) return;
  const handle = await open(reader.file, 'r');
  try {
    const buffer = Buffer.alloc(size - reader.offset);
    await handle.read(buffer, 0, buffer.length, reader.offset);
    reader.offset = size;
    const lines = (reader.partial + buffer.toString('utf8')).split('\n');
    reader.partial = lines.pop() ?? '';
    if (lines.length) write(lines.map((l) => reader.prefix + l).join('\n') + '\n');
  } finally {
    await handle.close();
  }
}

export async function showLogs(
  dir: string,
  options: { filter?: string; follow: boolean; write(text: string): void; signal?: AbortSignal },
): Promise<number> {
  const files = await logFiles(dir, options.filter);
  const names = files.map((f) => basename(f, '.log'));
  const width = Math.max(0, ...names.map((n) => n.length));
  const readers = files.map((file, i): Reader => ({
    file,
    prefix: files.length > 1 ? `${names[i]!.padEnd(width)} | ` : '',
    offset: 0,
    partial: '',
  }));
  for (const reader of readers) await readNew(reader, options.write);
  if (!options.follow) return files.length;
  while (!options.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const reader of readers) await readNew(reader, options.write).catch(() => undefined);
  }
  return files.length;
}
