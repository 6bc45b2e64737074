// Free TCP ports on 127.0.0.1 for tests. They come from below the kernel's ephemeral range
// (32768–60999 on Linux by default), from a block that belongs to this vitest worker: the kernel
// never hands those ports out (to a port-0 listener or to an outgoing connection) and no other
// worker takes from this block, so a port chosen here is still free when the test binds it.
// (The kernel's own choice, as the runtime makes it, raced between parallel test files.)
import { portFree } from '../../src/runtime/ports.ts';

const FIRST = 12_000;
const BLOCK = 2_000;
const WORKERS = 10; // blocks up to 31 999
const worker = Number(process.env.VITEST_POOL_ID ?? 1);
const start = FIRST + ((Math.max(1, worker) - 1) % WORKERS) * BLOCK;
// Two vitest runs at once (two people, or a run and a single file) have the same pool ids: start
// each process at its own place in the block so they rarely hand out the same port.
let next = start + (process.pid % BLOCK);

/** `count` distinct free ports from this worker's block, none in `avoid`. */
export async function freePorts(count: number, avoid: ReadonlySet<number> = new Set()): Promise<number[]> {
  const ports: number[] = [];
  for (let tried = 0; ports.length < count; tried++) {
    if (tried >= BLOCK) throw new Error(`no ${count} free ports left in ${start}–${start + BLOCK - 1}`);
    const port = next;
    next = next + 1 < start + BLOCK ? next + 1 : start;
    if (!avoid.has(port) && !ports.includes(port) && (await portFree(port))) ports.push(port);
  }
  return ports;
}
