// When a Compose stack is ready: every init container exited 0, every container runs (healthy
// where it has a healthcheck), the control plane answers, every proxy is SYNCED and the gateways
// answer; and why it cannot become so (a container that failed, with its log's tail).
import type { Stack } from '../../compose/stack.ts';
import { httpOk, NeverReady, unsynced, waitUntil } from '../readiness.ts';
import type { Engine, StackContainer } from './engine.ts';

/** Why the stack cannot become ready (a container that failed), or undefined. */
async function failed(engine: Engine, containers: StackContainer[], stack: Stack): Promise<string | undefined> {
  const init = new Set(stack.services.init);
  for (const c of containers) {
    if (init.has(c.service) && c.state === 'exited' && c.exitCode !== 0) {
      const log = await engine.logTail(c.id);
      const denied = /permission denied|operation not permitted|can't initialize iptables/i.test(log);
      return denied
        ? `${c.service} could not install the capture rules: the engine does not grant NET_ADMIN (rootless Docker or a restricted runtime?). ` +
            `Use --runtime process, or a Docker engine that allows cap_add: NET_ADMIN.\n${log}`
        : `${c.service} (the capture rules) exited with ${c.exitCode}:\n${log}`;
    }
    if (!init.has(c.service) && (c.state === 'exited' || c.state === 'dead')) {
      return `${c.service} exited with ${c.exitCode ?? '?'}:\n${await engine.logTail(c.id)}`;
    }
    if (c.health === 'unhealthy') return `${c.service} is unhealthy (its healthcheck fails):\n${await engine.logTail(c.id)}`;
  }
  return undefined;
}

/** What is not ready yet, one phrase each; empty when the stack is ready. */
async function pending(containers: StackContainer[], stack: Stack): Promise<string[]> {
  const byService = new Map(containers.map((c) => [c.service, c]));
  const init = new Set(stack.services.init);
  const waiting: string[] = [];
  for (const service of Object.values(stack.services).flat()) {
    const c = byService.get(service);
    if (!c) waiting.push(`${service} (no container)`);
    else if (init.has(service) ? c.state !== 'exited' : c.state !== 'running') waiting.push(`${service} (${c.state})`);
    else if (c.health && c.health !== 'healthy') waiting.push(`${service} (health ${c.health})`);
  }
  if (waiting.length) return waiting;
  if (!(await httpOk(`${stack.api}/status`).catch(() => false))) return [`the control plane's API ${stack.api}`];
  const behind = await unsynced(stack.api, stack.proxyIds).catch((e: Error) => [`proxy status (${e.message})`]);
  if (behind.length) return behind.map((p) => `proxy ${p}`);
  // Plain HTTP ports answer a request; TLS ones would need the client to trust their certificate.
  for (const url of stack.gateways.filter((u) => u.startsWith('http://'))) {
    const answers = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' }).then(
      async (r) => (await r.body?.cancel(), true),
      () => false,
    );
    if (!answers) return [`the gateway ${url}`];
  }
  return [];
}

export async function waitReady(engine: Engine, stack: Stack, timeoutMs: number, signal: AbortSignal): Promise<void> {
  let waiting: string[] = [];
  const ready = async () => {
    const containers = await engine.stackContainers(stack.project);
    const failure = await failed(engine, containers, stack);
    if (failure) throw new NeverReady(failure);
    waiting = await pending(containers, stack);
    return waiting.length === 0;
  };
  await waitUntil('The stack', ready, { timeoutMs, signal, intervalMs: 250, still: () => `still waiting for: ${waiting.join(', ')}.` });
}

