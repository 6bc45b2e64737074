// A Canary document (config/schema/canary.ts) → the settings of a canary plan, with Flagger's
// semantics for the weights: `stepWeight` adds that much at each step until the weight reaches
// `maxWeight` (default 100; a step may overshoot it, as Flagger's does: stepWeight 20, maxWeight 50
// runs 20, 40, 60), `stepWeights` lists the weights (the last one is Flagger's max weight); once
// there, the canary is promoted (100%). Settings a flag gives override the document's (cli/).
import { parseDuration } from '../config/duration.ts';
import type { CanarySpec } from '../config/schema/canary.ts';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, type CanaryPlan } from './analysis.ts';

/** What a plan is made of before the route is known (from: the subset with the most weight, by default). */
export type CanarySettings = Partial<Pick<CanaryPlan, 'to' | 'from' | 'route'>> &
  Pick<CanaryPlan, 'steps' | 'intervalMs' | 'threshold' | 'maxErrorRate' | 'maxP99Ms' | 'minRequests' | 'webhooks'> & {
    /** The built-in load: a URL (default: the gateway's) and a rate (default: from minRequests), or none. */
    load: { url?: string; rps?: number } | false;
  };

/** mesh canary's defaults (its flags' and a document's alike). */
export const DEFAULT_SETTINGS: CanarySettings = {
  steps: [10, 25, 50, 100],
  intervalMs: 10_000,
  threshold: 2,
  maxErrorRate: 0.01,
  minRequests: 50,
  webhooks: [],
  load: {},
};

const TOTAL = 100;

/** Flagger's weights for stepWeight/maxWeight or stepWeights, ending with the promotion at 100. */
export function flaggerSteps(analysis: { stepWeight?: number; maxWeight?: number; stepWeights?: number[] }): number[] | undefined {
  const weights: number[] = [];
  if (analysis.stepWeight !== undefined) {
    const max = Math.min(analysis.maxWeight ?? TOTAL, TOTAL);
    for (let w = analysis.stepWeight; ; w += analysis.stepWeight) {
      weights.push(Math.min(w, TOTAL));
      if (w >= max) break;
    }
  } else if (analysis.stepWeights) {
    weights.push(...analysis.stepWeights.map((w) => Math.min(w, TOTAL)));
  } else return undefined;
  return weights.at(-1) === TOTAL ? weights : [...weights, TOTAL];
}

const ms = (text: string | undefined) => (text === undefined ? undefined : parseDuration(text));

/** The settings a (validated) Canary document gives; what it leaves out is not in the result. */
export function settingsFromDocument(spec: CanarySpec): Partial<CanarySettings> {
  const analysis = spec.analysis ?? {};
  const steps = flaggerSteps(analysis);
  const intervalMs = ms(analysis.interval);
  const successRate = analysis.metrics?.find((m) => m.name === 'request-success-rate')?.thresholdRange.min;
  const p99 = analysis.metrics?.find((m) => m.name === 'request-duration')?.thresholdRange.max;
  const settings: Partial<CanarySettings> = {
    to: spec.to,
    ...(spec.from !== undefined ? { from: spec.from } : {}),
    ...(spec.route !== undefined ? { route: spec.route } : {}),
    ...(steps ? { steps } : {}),
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(analysis.threshold !== undefined ? { threshold: analysis.threshold } : {}),
    ...(successRate !== undefined ? { maxErrorRate: Number(((100 - successRate) / 100).toFixed(6)) } : {}),
    ...(p99 !== undefined ? { maxP99Ms: p99 } : {}),
    ...(spec.minRequests !== undefined ? { minRequests: spec.minRequests } : {}),
    ...(spec.load !== undefined ? { load: spec.load } : {}),
  };
  if (analysis.webhooks) {
    settings.webhooks = analysis.webhooks.map((h) => ({
      url: h.url, type: h.type, timeoutMs: ms(h.timeout) ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
      ...(h.name !== undefined ? { name: h.name } : {}), ...(h.metadata ? { metadata: h.metadata } : {}),
    }));
  }
  return settings;
}

/** Defaults, then the document's settings, then the flags'. */
export function mergeSettings(...layers: Array<Partial<CanarySettings>>): CanarySettings {
  return Object.assign({}, DEFAULT_SETTINGS, ...layers) as CanarySettings;
}

/** The plan, once the route told the baseline. */
export function planOf(host: string, settings: CanarySettings, from: string, to: string): CanaryPlan {
  return {
    host, ...(settings.route ? { route: settings.route } : {}), from, to, steps: settings.steps, intervalMs: settings.intervalMs,
    threshold: settings.threshold, maxErrorRate: settings.maxErrorRate, ...(settings.maxP99Ms !== undefined ? { maxP99Ms: settings.maxP99Ms } : {}),
    minRequests: settings.minRequests, webhooks: settings.webhooks,
  };
}
