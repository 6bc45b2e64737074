// Canary analysis, pure: the plan (weight steps from the baseline to the canary), the checks of
// one interval's measurements against the gates (Flagger's analysis: request-success-rate and
// request-duration thresholds, a minimum of requests), and what comes next: the next step, hold
// and check again, or roll back after `threshold` failed checks. No I/O: run.ts drives it.

export interface CanaryPlan {
  /** The service's host as `mesh weight` takes it, and its route (when several go to it). */
  host: string;
  route?: string;
  from: string;
  to: string;
  /** The canary's weight at each step, ascending, the last 100 (promotion). */
  steps: number[];
  intervalMs: number;
  /** Failed checks (in a row or not) that roll the canary back, as Flagger's `threshold`. */
  threshold: number;
  /** Gates on the canary's traffic over each interval. */
  maxErrorRate: number;
  maxP99Ms?: number;
  minRequests: number;
  /** HTTP hooks; a non-2xx answer (or none within the timeout) fails the check, as Flagger's. */
  webhooks: Webhook[];
}

/**
 * Flagger's webhook types that localmesh runs: `rollout` is called before each check,
 * `pre-rollout` before the first step (until it passes once: no traffic moves before).
 */
export interface Webhook {
  url: string;
  type: 'pre-rollout' | 'rollout';
  timeoutMs: number;
  name?: string;
  /** Sent with each call, as Flagger sends it. */
  metadata?: Record<string, string>;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** One subset's traffic over an interval, as the proxies counted it. */
export interface Measured {
  requests: number;
  /** Share answered without a 5xx; null without requests. */
  successRate: number | null;
  p99Ms: number | null;
}

export interface Gate {
  name: 'requests' | 'error-rate' | 'p99' | 'webhook';
  ok: boolean;
  /** What was measured, and the bound, in words: `error rate 0.4% ≤ 1%`. */
  text: string;
}

export interface Check {
  weight: number;
  canary: Measured;
  baseline: Measured;
  gates: Gate[];
  ok: boolean;
}

const pct = (x: number) => `${Number((x * 100).toFixed(2))}%`;

/** The steps as given (10,25,50,100), checked: ascending, within (0, 100], ending at 100. */
export function parseSteps(text: string): number[] | string {
  const steps = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (steps.length === 0 || steps.some((s) => !Number.isInteger(s) || s <= 0 || s > 100)) {
    return `--steps is a list of whole percentages in 1..100, such as 10,25,50,100, not '${text}'.`;
  }
  if (steps.some((s, i) => i > 0 && s <= steps[i - 1]!)) return `--steps must rise step by step (${text}).`;
  return steps.at(-1) === 100 ? steps : [...steps, 100];
}

/** A share as `1%`, `0.5%` or `0.01`: the fraction; a string saying what is wrong otherwise. */
export function parseShare(text: string, flag: string): number | string {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const value = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : `${flag} is a share such as 1% or 0.01, not '${text}'.`;
}

/** The gates of one interval. Webhook verdicts come from the caller (they are I/O). */
export function check(plan: CanaryPlan, weight: number, canary: Measured, baseline: Measured, webhooks: Gate[] = []): Check {
  const gates: Gate[] = [...webhooks];
  gates.push({
    name: 'requests',
    ok: canary.requests >= plan.minRequests,
    text: `${canary.requests} requests to ${plan.to} ${canary.requests >= plan.minRequests ? '≥' : '<'} ${plan.minRequests}`,
  });
  if (canary.successRate !== null) {
    const errorRate = 1 - canary.successRate;
    gates.push({
      name: 'error-rate',
      ok: errorRate <= plan.maxErrorRate,
      text: `error rate ${pct(errorRate)} ${errorRate <= plan.maxErrorRate ? '≤' : '>'} ${pct(plan.maxErrorRate)}` +
        (baseline.successRate !== null ? ` (${plan.from}: ${pct(1 - baseline.successRate)})` : ''),
    });
  }
  if (plan.maxP99Ms !== undefined && canary.p99Ms !== null) {
    gates.push({
      name: 'p99',
      ok: canary.p99Ms <= plan.maxP99Ms,
      text: `p99 ${canary.p99Ms.toFixed(1)} ms ${canary.p99Ms <= plan.maxP99Ms ? '≤' : '>'} ${plan.maxP99Ms} ms` +
        (baseline.p99Ms !== null ? ` (${plan.from}: ${baseline.p99Ms.toFixed(1)} ms)` : ''),
    });
  }
  return { weight, canary, baseline, gates, ok: gates.every((g) => g.ok) };
}

export type Next = { kind: 'advance'; weight: number } | { kind: 'hold'; weight: number } | { kind: 'promoted' } | { kind: 'rollback'; why: string };

/** After a check at step `index` with `failures` failed checks so far (this one included). */
export function next(plan: CanaryPlan, index: number, result: Check, failures: number): Next {
  if (!result.ok) {
    if (failures >= plan.threshold) {
      return { kind: 'rollback', why: `${failures} failed check${failures > 1 ? 's' : ''} (threshold ${plan.threshold}): ${result.gates.filter((g) => !g.ok).map((g) => g.text).join('; ')}` };
    }
    return { kind: 'hold', weight: plan.steps[index]! };
  }
  if (index + 1 >= plan.steps.length) return { kind: 'promoted' };
  return { kind: 'advance', weight: plan.steps[index + 1]! };
}

/** The route's weights with the canary at `weight` and the baseline taking the rest. */
export function weightsAt(plan: CanaryPlan, weight: number): Record<string, number> {
  return { [plan.from]: 100 - weight, [plan.to]: weight };
}
