// `mesh canary`: progressive delivery on a running mesh (the shell around canary/run.ts): the
// weights written to the route's YAML step by step as `mesh weight` does, each step ACKed by every
// proxy, the canary's and the baseline's traffic read from the control plane (the proxies' own
// stats), the built-in load sent through the gateway unless other traffic flows. Its state is
// DIR/.mesh/canary.json for the dashboard; commands (pause, resume, promote, abort) come through
// DIR/.mesh/canary-command, written by `mesh canary DIR --pause …` or the dashboard's keys.
import { parseDuration } from '../../config/duration.ts';
import { formatDiagnostic } from '../../config/diagnostics.ts';
import { findWeightedRoute } from '../../config/edit-weights.ts';
import { hasErrors } from '../../config/diagnostics.ts';
import { loadMesh } from '../../config/index.ts';
import type { CanaryModel, MeshModel } from '../../config/model.ts';
import { formatRef } from '../../config/report.ts';
import { writeWeights } from '../../config/write-weights.ts';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, parseShare, parseSteps, type Measured } from '../../canary/analysis.ts';
import { mergeSettings, planOf, settingsFromDocument, type CanarySettings } from '../../canary/document.ts';
import { runCanary, type Command } from '../../canary/run.ts';
import { canaryActive, clearCanaryCommand, readCanaryState, sendCanaryCommand, takeCanaryCommand, writeCanaryState } from '../../canary/state-file.ts';
import { apiGet } from '../../control/client.ts';
import type { ControlStatus } from '../../control/controller.ts';
import type { TrafficReport } from '../../control/traffic.ts';
import { startLoad, type Load } from '../../load/generator.ts';
import type { Runtimes } from '../../runtime/contract.ts';
import { notSynced } from '../../xds/sync.ts';
import type { ProxyStatus } from '../../xds/types.ts';
import { EXIT, printDiagnostics, UsageError } from '../output.ts';

export const help = `Usage: mesh canary [DIR] HOST --to SUBSET [--from SUBSET] [--steps 10,25,50,100]
                   [--interval 10s] [--threshold 2] [--max-error-rate 1%] [--max-p99 500ms]
                   [--min-requests 50] [--load URL | --no-load] [--rps N] [--webhook URL]...
                   [--route NAME] [--json]
       mesh canary [DIR] [NAME] [flags as above]
       mesh canary [DIR] --pause | --resume | --promote | --abort

With NAME (or with no HOST when DIR holds exactly one), runs the Canary document NAME of the mesh
directory (kind: Canary, apiVersion localmesh.dev/v1alpha1; see the README); a flag given
overrides the document's field.

Shifts HOST's traffic from SUBSET --from (default: the subset with the most weight) to --to in
steps, on the running mesh in DIR, as Flagger's analysis does without Kubernetes. Each step
writes the route's weights into its YAML file (as mesh weight does), waits until every proxy
ACKed them, measures the canary's error rate and p99 latency from the proxies' own stats over
--interval, and goes on, holds, or — after --threshold failed checks — rolls back to the weights
it found. A check fails when --to answered fewer than --min-requests requests, more than
--max-error-rate of them with a 5xx, or slower than --max-p99 at the 99th percentile; a
--webhook (called with POST before each step) that does not answer 2xx fails it too.

Traffic: by default the built-in load through the mesh's gateway, for HOST routed there, at
--rps requests/s (default: enough for twice --min-requests at the first step, at most 200);
--load URL sends it elsewhere, --no-load relies on traffic of your own.

While it runs: the dashboard shows it; mesh canary DIR --pause, --resume, --promote (100% now)
or --abort (roll back now) steer it, as do Ctrl-C (abort) and the dashboard's keys.

Exit codes: 0 promoted, 1 rolled back or aborted, 2 usage. --json prints the result.`;

export interface CanaryOptions {
  to?: string;
  from?: string;
  steps?: string;
  interval?: string;
  threshold?: string;
  maxErrorRate?: string;
  maxP99?: string;
  minRequests?: string;
  load?: string;
  noLoad: boolean;
  rps?: string;
  webhooks: string[];
  route?: string;
  json: boolean;
  command?: Command;
}

function number(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} is a whole number ≥ ${min}, not '${text}'.`);
  return n;
}

function duration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`${flag} is a duration such as 10s or 500ms, not '${text}'.`);
  return ms;
}

/** The settings the flags give (only those given: they override a Canary document's). */
function settingsFromFlags(options: CanaryOptions): Partial<CanarySettings> {
  const settings: Partial<CanarySettings> = {};
  if (options.to !== undefined) settings.to = options.to;
  if (options.from !== undefined) settings.from = options.from;
  if (options.route !== undefined) settings.route = options.route;
  if (options.steps !== undefined) {
    const steps = parseSteps(options.steps);
    if (typeof steps === 'string') throw new UsageError(steps);
    settings.steps = steps;
  }
  if (options.maxErrorRate !== undefined) {
    const maxErrorRate = parseShare(options.maxErrorRate, '--max-error-rate');
    if (typeof maxErrorRate === 'string') throw new UsageError(maxErrorRate);
    settings.maxErrorRate = maxErrorRate;
  }
  if (options.interval !== undefined) settings.intervalMs = duration(options.interval, '--interval');
  if (options.maxP99 !== undefined) settings.maxP99Ms = duration(options.maxP99, '--max-p99');
  if (options.threshold !== undefined) settings.threshold = number(options.threshold, '--threshold', 1);
  if (options.minRequests !== undefined) settings.minRequests = number(options.minRequests, '--min-requests', 0);
  if (options.webhooks.length) settings.webhooks = options.webhooks.map((url) => ({ url, type: 'rollout', timeoutMs: DEFAULT_WEBHOOK_TIMEOUT_MS }));
  if (options.load && options.noLoad) throw new UsageError('--load URL and --no-load contradict each other: give one.');
  if (options.noLoad) settings.load = false;
  else if (options.load !== undefined || options.rps !== undefined) {
    settings.load = { ...(options.load !== undefined ? { url: options.load } : {}), ...(options.rps !== undefined ? { rps: number(options.rps, '--rps', 1) } : {}) };
  }
  return settings;
}

/** The FQDN of HOST as the traffic report names it. */
function fqdnOf(model: MeshModel, host: string): string | undefined {
  return model.services.find((s) => s.name === host || s.fqdn === host || `${s.name}.${s.namespace}` === host)?.fqdn;
}

function subsetTraffic(report: TrafficReport, fqdn: string, subset: string): Measured {
  const rows = report.subsets.filter((s) => s.host === fqdn && s.subset === subset);
  const requests = rows.reduce((n, r) => n + r.requests, 0);
  const ok = rows.reduce((n, r) => n + r.requests * (r.successRate ?? 1), 0);
  const p99s = rows.map((r) => r.p99Ms).filter((p): p is number => p !== null);
  return { requests, successRate: requests ? ok / requests : null, p99Ms: p99s.length ? Math.max(...p99s) : null };
}

/** The Canary document ARGS name (or the only one, without ARGS), if any: undefined means ARGS is HOST. */
function chosenDocument(model: MeshModel, args: readonly string[], dir: string): CanaryModel | undefined {
  const canaries = model.canaries ?? [];
  const names = canaries.map((c) => c.name).join(', ');
  if (args.length === 0) {
    if (canaries.length === 1) return canaries[0];
    throw new UsageError(canaries.length === 0
      ? `mesh canary needs HOST --to SUBSET, or a Canary document in ${dir} (see mesh canary --help).`
      : `${dir} holds several Canary documents (${names}): name one, as in mesh canary ${dir} ${canaries[0]!.name}.`);
  }
  return args.length === 1 ? canaries.find((c) => c.name === args[0]) : undefined;
}

export async function run(dir: string, args: readonly string[], options: CanaryOptions, runtimes: Runtimes): Promise<number> {
  if (options.command) {
    const state = await readCanaryState(dir);
    if (!canaryActive(state)) {
      console.error(`No canary runs in ${dir} (mesh canary ${dir} HOST --to SUBSET starts one).`);
      return EXIT.invalid;
    }
    await sendCanaryCommand(dir, options.command);
    console.log(`Asked the canary of ${state.host} (${state.from} → ${state.to}, at ${state.weight}%) to ${options.command}.`);
    return EXIT.ok;
  }
  const flags = settingsFromFlags(options);
  const { model, diagnostics } = await loadMesh(dir);
  if (!model || hasErrors(diagnostics)) {
    printDiagnostics(diagnostics);
    console.error(`${dir}: the mesh is invalid; fix it before a canary.`);
    return EXIT.invalid;
  }
  const document = chosenDocument(model, args, dir);
  const host = document?.spec.host ?? args[0];
  if (!host || (!document && args.length > 1)) throw new UsageError('mesh canary needs one HOST (the service whose traffic moves) and --to SUBSET, or the name of a Canary document.');
  const settings = mergeSettings(document ? settingsFromDocument(document.spec) : {}, flags);
  const to = settings.to;
  if (!to) throw new UsageError(`mesh canary needs --to SUBSET: the version that takes the traffic (${host} is not the name of a Canary document in ${dir}).`);
  const { steps, intervalMs, maxErrorRate, maxP99Ms, threshold, minRequests } = settings;
  const route = settings.route;

  const target = findWeightedRoute(model, { host, weights: {}, ...(route ? { route } : {}) }, dir);
  if ('error' in target) {
    console.error(formatDiagnostic(target.error));
    return EXIT.invalid;
  }
  const before = Object.fromEntries(target.labels.map((label, i) => [label, target.route.route?.[i]?.weight ?? (target.labels.length === 1 ? 100 : 0)]));
  if (!(to in before)) throw new UsageError(`${to} is not a destination of the route to ${host} (its destinations: ${target.labels.join(', ')}).`);
  const from = settings.from ?? Object.entries(before).filter(([s]) => s !== to).sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!from || !(from in before)) throw new UsageError(`--from ${settings.from ?? '?'} is not a destination of the route to ${host} (its destinations: ${target.labels.join(', ')}).`);
  if (from === to) throw new UsageError(`--from and --to are both ${to}: a canary moves traffic from one subset to another.`);
  const fqdn = fqdnOf(model, host);
  if (!fqdn) throw new UsageError(`${host} is not a service of the mesh.`);
  // The built-in load by default: enough that the first step's share gets twice the requests a check needs.
  const rps = (settings.load && settings.load.rps) || Math.min(200, Math.max(10, Math.ceil((2 * minRequests) / ((steps[0]! / 100) * (intervalMs / 1000)))));

  const running = await runtimes.running(dir);
  if (!running) {
    console.error(await runtimes.noMeshRuns(dir, (other) => (document ? `mesh canary ${other} ${document.name}` : `mesh canary ${other} ${host} --to ${to}`)));
    return EXIT.invalid;
  }
  const api = running.state.api;
  const loadUrl = settings.load === false ? undefined : (settings.load.url ?? running.state.gateways[0]);
  if (settings.load !== false && !loadUrl) throw new UsageError(`the mesh in ${dir} has no gateway to send load through: give --load URL, or --no-load.`);

  const plan = planOf(host, settings, from, to);
  const say = options.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  await clearCanaryCommand(dir);
  let aborted = false;
  const onSignal = () => {
    aborted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let load: Load | undefined;
  say(`${document ? `Canary ${document.name} (${formatRef(document.source)}): ` : 'Canary of '}${host}: ${from} → ${to} in steps ${steps.join(', ')}%, ${intervalMs / 1000} s each; ` +
    `gates: error rate ≤ ${(maxErrorRate * 100).toFixed(2).replace(/\.?0+$/, '')}%${maxP99Ms !== undefined ? `, p99 ≤ ${maxP99Ms} ms` : ''}, ≥ ${minRequests} requests; rollback after ${threshold} failed check${threshold > 1 ? 's' : ''}`);
  if (loadUrl) {
    load = startLoad({ url: loadUrl, rps });
    say(`Sending ${rps} requests/s to ${loadUrl} while it runs`);
  }
  try {
    const result = await runCanary(plan, before, {
      async setWeights(weights) {
        const was = await apiGet<ControlStatus>(api, '/status');
        const written = await writeWeights(dir, { host, weights, ...(route ? { route } : {}) });
        if ('error' in written) throw new Error(written.error);
        if (!written.written) return;
        const deadline = Date.now() + 15_000;
        for (;;) {
          const now = await apiGet<ControlStatus>(api, '/status').catch(() => undefined);
          if (now?.version && now.version !== was.version && !now.pending && notSynced(await apiGet<ProxyStatus[]>(api, '/proxies').catch(() => []), now.proxies).length === 0) return;
          if (Date.now() > deadline) throw new Error(`the proxies did not ACK the weights within 15 s (mesh proxy-status ${dir} shows why)`);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      async measure(windowMs) {
        const report = await apiGet<TrafficReport>(api, `/traffic?window=${Math.max(1000, Math.round(windowMs))}`);
        return { canary: subsetTraffic(report, fqdn, to), baseline: subsetTraffic(report, fqdn, from) };
      },
      async webhook(hook, payload) {
        const { url } = hook;
        const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(hook.timeoutMs) }).then(
          async (r) => (await r.body?.cancel(), r.status),
          (e: Error) => e.message,
        );
        const ok = typeof answer === 'number' && answer >= 200 && answer < 300;
        return { name: 'webhook', ok, text: `${hook.type === 'pre-rollout' ? 'pre-rollout ' : ''}webhook ${hook.name ?? url} ${typeof answer === 'number' ? `answered ${answer}` : `failed (${answer})`}` };
      },
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      say,
      command: async () => (aborted ? 'abort' : takeCanaryCommand(dir)),
      publish: (state) => writeCanaryState(dir, state),
      now: () => Date.now(),
    });
    if (options.json) console.log(JSON.stringify(result, null, 2));
    return result.outcome === 'promoted' ? EXIT.ok : EXIT.invalid;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const tally = await load?.stop();
    if (tally) say(`Load: ${tally.requests} requests, ${Object.entries(tally.byStatus).map(([s, n]) => `${s} ${n}`).join(', ')}`);
  }
}
