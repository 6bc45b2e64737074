// Drives a canary through its plan (analysis.ts) with the I/O given: each step writes the weights
// (and waits until every proxy ACKed them), waits one interval, measures the canary and the
// baseline from the proxies' own stats, and goes on, holds, or rolls back to the weights it found.
// Between checks it obeys commands (pause, resume, promote, abort) and publishes its state, so the
// dashboard can show and steer it. The result says what happened, for JSON and the exit code.
import { check, next, weightsAt, type CanaryPlan, type Check, type Gate, type Measured, type Webhook } from './analysis.ts';

export type Command = 'pause' | 'resume' | 'promote' | 'abort';

export interface CanaryState {
  host: string;
  from: string;
  to: string;
  phase: 'progressing' | 'paused' | 'promoted' | 'rolled back' | 'aborted' | 'failed';
  /** The step being run (0-based) of `steps`, and its weight. */
  step: number;
  steps: number[];
  weight: number;
  failures: number;
  threshold: number;
  checks: Check[];
  startedAt: number;
  updatedAt: number;
  /** The last sentence of note. */
  message?: string;
}

export interface CanaryIO {
  /** Writes the route's weights and resolves once every proxy ACKed them. */
  setWeights(weights: Record<string, number>): Promise<void>;
  /** The canary's and the baseline's traffic over the last `windowMs`. */
  measure(windowMs: number): Promise<{ canary: Measured; baseline: Measured }>;
  /** Calls a webhook before a step; its verdict as a gate. */
  webhook(hook: Webhook, payload: Record<string, unknown>): Promise<Gate>;
  sleep(ms: number): Promise<void>;
  say(line: string): void;
  /** A command given since the last call (the dashboard, or a signal). */
  command(): Promise<Command | undefined>;
  publish(state: CanaryState): Promise<void>;
  now(): number;
}

export interface CanaryResult {
  outcome: 'promoted' | 'rolled back' | 'aborted';
  host: string;
  from: string;
  to: string;
  weightsBefore: Record<string, number>;
  weightsAfter: Record<string, number>;
  checks: Check[];
  why?: string;
  durationMs: number;
}

const TICK_MS = 200;
const NOTHING: Measured = { requests: 0, successRate: null, p99Ms: null };

export async function runCanary(plan: CanaryPlan, before: Record<string, number>, io: CanaryIO): Promise<CanaryResult> {
  const started = io.now();
  const state: CanaryState = {
    host: plan.host, from: plan.from, to: plan.to, phase: 'progressing', step: 0, steps: plan.steps, weight: plan.steps[0]!,
    failures: 0, threshold: plan.threshold, checks: [], startedAt: started, updatedAt: started,
  };
  const publish = async (message?: string) => {
    if (message) {
      state.message = message;
      io.say(message);
    }
    state.updatedAt = io.now();
    await io.publish(state);
  };
  const finish = async (outcome: CanaryResult['outcome'], weightsAfter: Record<string, number>, why?: string): Promise<CanaryResult> => {
    state.phase = outcome;
    await publish(why ? `${outcome}: ${why}` : outcome);
    return { outcome, host: plan.host, from: plan.from, to: plan.to, weightsBefore: before, weightsAfter, checks: state.checks, ...(why ? { why } : {}), durationMs: io.now() - started };
  };
  const rollback = async (outcome: 'rolled back' | 'aborted', why: string) => {
    await io.setWeights(before);
    return finish(outcome, before, `${why}; weights back to ${Object.entries(before).map(([s, w]) => `${s} ${w}`).join(', ')}`);
  };
  const promote = async (why: string) => {
    const weights = weightsAt(plan, 100);
    await io.setWeights(weights);
    return finish('promoted', weights, why);
  };

  /** Waits `ms`, obeying commands; what ended the wait early, if anything. */
  const wait = async (ms: number): Promise<'promote' | 'abort' | undefined> => {
    let left = ms;
    while (left > 0 || state.phase === 'paused') {
      const command = await io.command();
      if (command === 'promote' || command === 'abort') return command;
      if (command === 'pause' && state.phase !== 'paused') {
        state.phase = 'paused';
        await publish(`paused at ${state.weight}% (resume: mesh canary --resume, or the dashboard)`);
      } else if (command === 'resume' && state.phase === 'paused') {
        state.phase = 'progressing';
        await publish(`resumed at ${state.weight}%`);
      }
      await io.sleep(TICK_MS);
      if (state.phase !== 'paused') left -= TICK_MS;
    }
    return undefined;
  };

  try {
    for (let index = 0, held = false, preRolledOut = false; ; ) {
      const weight = plan.steps[index]!;
      state.step = index;
      state.weight = weight;
      const hooks: Gate[] = [];
      for (const hook of plan.webhooks.filter((h) => h.type === 'rollout' || !preRolledOut)) {
        hooks.push(await io.webhook(hook, {
          host: plan.host, from: plan.from, to: plan.to, weight, step: index + 1, steps: plan.steps.length,
          type: hook.type, ...(hook.name ? { name: hook.name } : {}), ...(hook.metadata ? { metadata: hook.metadata } : {}),
        }));
      }
      const hooksOk = hooks.every((h) => h.ok);
      if (hooksOk) preRolledOut = true;
      if (hooksOk) {
        await io.setWeights(weightsAt(plan, weight));
        await publish(
          held
            ? `holding step ${index + 1}/${plan.steps.length} at ${weight}% (${state.failures} of ${plan.threshold} failed checks); measuring again for ${plan.intervalMs / 1000} s`
            : `step ${index + 1}/${plan.steps.length}: ${plan.to} at ${weight}%, ${plan.from} at ${100 - weight}%; measuring for ${plan.intervalMs / 1000} s`,
        );
      }
      // A failed webhook holds the step: the weights stay, and it is asked again after an interval.
      const interrupted = await wait(plan.intervalMs);
      if (interrupted === 'promote') return await promote('promoted by hand');
      if (interrupted === 'abort') return await rollback('aborted', 'aborted by hand');
      const result: Check = hooksOk
        ? await io.measure(plan.intervalMs).then((m) => check(plan, weight, m.canary, m.baseline, hooks))
        : { weight, canary: NOTHING, baseline: NOTHING, gates: hooks, ok: false };
      state.checks.push(result);
      if (!result.ok) state.failures++;
      await publish(`  check at ${weight}%: ${result.ok ? 'passed' : 'FAILED'} — ${result.gates.map((g) => g.text).join('; ')}`);
      const then = next(plan, index, result, state.failures);
      if (then.kind === 'rollback') return await rollback('rolled back', then.why);
      if (then.kind === 'promoted') return await finish('promoted', weightsAt(plan, 100), `every check passed up to ${plan.to} at 100%`);
      held = then.kind === 'hold';
      if (then.kind === 'advance') index++;
    }
  } catch (error) {
    state.phase = 'failed';
    await publish(`the canary stopped: ${(error as Error).message}`).catch(() => undefined);
    throw error;
  }
}
