// Canary documents → the model's canaries, checked: the host is a service of the mesh, `from` and
// `to` are subsets a DestinationRule defines for it, the analysis is one mesh canary can run
// (Flagger's fields, with what localmesh measures). Each mistake points at its field.
import type { CheckContext } from './context.ts';
import { mergeDestinationRules } from './destination-rule-merge.ts';
import { parseDuration } from './duration.ts';
import { unknownHost } from './hosts.ts';
import type { ParsedResource } from './kinds.ts';
import { DEFAULT_NAMESPACE, resolveHost, type CanaryModel, type SourceRef } from './model.ts';
import { keyAt, valueAt, type Path } from './position.ts';
import { formatRef } from './report.ts';
import { didYouMean } from './suggest.ts';

type CanaryResource = Extract<ParsedResource, { kind: 'Canary' }>;

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

function checkAnalysis(ctx: CheckContext, r: CanaryResource): void {
  const analysis = r.value.spec.analysis;
  if (!analysis) return;
  const at = (path: Path) => valueAt(r.source, ['spec', 'analysis', ...path]);
  // Durations are checked with every other field (fields.ts): here only their meaning.
  const duration = (text: string | undefined) => (text === undefined ? undefined : parseDuration(text));
  const interval = duration(analysis.interval);
  if (analysis.stepWeight !== undefined && analysis.stepWeights) {
    ctx.report('error', keyAt(r.source, ['spec', 'analysis', 'stepWeights']), 'stepWeight and stepWeights are both set; Flagger would use stepWeight and ignore the list',
      'keep one: stepWeight (with maxWeight) for equal steps, or stepWeights for a list');
  }
  analysis.stepWeights?.forEach((w, i) => {
    if (i > 0 && w <= analysis.stepWeights![i - 1]!) ctx.report('error', at(['stepWeights', i]), `stepWeights must rise step by step: ${w} follows ${analysis.stepWeights![i - 1]}`);
  });
  if (analysis.maxWeight !== undefined && analysis.stepWeights && analysis.stepWeight === undefined) {
    ctx.report('warning', keyAt(r.source, ['spec', 'analysis', 'maxWeight']), 'maxWeight has no effect with stepWeights: the last of stepWeights is the weight at which the canary is promoted',
      'remove maxWeight, or use stepWeight instead of stepWeights');
  }
  if (analysis.maxWeight !== undefined && analysis.stepWeight === undefined && !analysis.stepWeights) {
    ctx.report('error', keyAt(r.source, ['spec', 'analysis', 'maxWeight']), 'maxWeight needs stepWeight, the weight added at each step', 'e.g. stepWeight: 10, maxWeight: 50');
  }
  const seen = new Map<string, SourceRef>();
  analysis.metrics?.forEach((metric, i) => {
    const first = seen.get(metric.name);
    if (first) ctx.report('error', at(['metrics', i, 'name']), `metric ${metric.name} is listed twice`, `the first is at ${formatRef(first)}`);
    else seen.set(metric.name, at(['metrics', i, 'name']));
    const { min, max } = metric.thresholdRange;
    const range = (path: Path) => keyAt(r.source, ['spec', 'analysis', 'metrics', i, 'thresholdRange', ...path]);
    if (metric.name === 'request-success-rate') {
      if (max !== undefined) ctx.report('error', range(['max']), 'request-success-rate takes thresholdRange.min, the lowest share of requests answered without a 5xx, in percent', 'e.g. thresholdRange: {min: 99}');
      else if (min === undefined) ctx.report('error', range([]), 'request-success-rate needs thresholdRange.min (percent)', 'e.g. thresholdRange: {min: 99}');
      else if (min < 0 || min > 100) ctx.report('error', range(['min']), `thresholdRange.min is ${min}; a success rate is a percentage between 0 and 100`);
    } else {
      if (min !== undefined) ctx.report('error', range(['min']), 'request-duration takes thresholdRange.max, the highest p99 latency in milliseconds', 'e.g. thresholdRange: {max: 500}');
      else if (max === undefined) ctx.report('error', range([]), 'request-duration needs thresholdRange.max (milliseconds, p99)', 'e.g. thresholdRange: {max: 500}');
      else if (max <= 0) ctx.report('error', range(['max']), `thresholdRange.max is ${max}; a latency bound is above 0 ms`);
    }
    const window = duration(metric.interval);
    if (window !== undefined && window !== (interval ?? 10_000)) {
      ctx.report('error', at(['metrics', i, 'interval']), `localmesh measures every metric over the analysis interval (${analysis.interval ?? '10s'}), not over ${metric.interval}`,
        'remove the metric interval, or make it the analysis interval');
    }
  });
  analysis.webhooks?.forEach((hook, i) => {
    if (!isHttpUrl(hook.url)) ctx.report('error', at(['webhooks', i, 'url']), `webhook url '${hook.url}' is not an http:// or https:// URL`);
  });
}

function checkCanary(ctx: CheckContext, r: CanaryResource): CanaryModel | undefined {
  const { metadata, spec } = r.value;
  const namespace = metadata.namespace ?? DEFAULT_NAMESPACE;
  checkAnalysis(ctx, r);
  if (spec.load && spec.load.url !== undefined && !isHttpUrl(spec.load.url)) {
    ctx.report('error', valueAt(r.source, ['spec', 'load', 'url']), `load url '${spec.load.url}' is not an http:// or https:// URL`);
  }
  const service = resolveHost(ctx.services, spec.host, namespace);
  if (!service) {
    const { message, hint } = unknownHost('canary host', spec.host, namespace, ctx.services);
    ctx.report('error', valueAt(r.source, ['spec', 'host']), message, hint);
    return undefined;
  }
  const rules = ctx.destinationRules.filter((d) => d.item.service === service.fqdn).map((d) => d.item);
  const subsets = mergeDestinationRules(rules)?.spec.subsets?.map((s) => s.name) ?? [];
  for (const field of ['from', 'to'] as const) {
    const subset = spec[field];
    if (subset === undefined || subsets.includes(subset)) continue;
    ctx.report('error', valueAt(r.source, ['spec', field]),
      rules.length > 0
        ? `subset '${subset}' is not defined by DestinationRule${rules.length > 1 ? 's' : ''} ${rules.map((d) => d.name).join(', ')} for ${service.name}${didYouMean(subset, subsets)}`
        : `subset '${subset}' of ${service.name} is not defined: no DestinationRule for ${service.name}`,
      `a canary moves traffic between subsets of a DestinationRule for ${service.name}: subsets: [{name: ${subset}, labels: {version: ${subset}}}]`);
  }
  if (spec.from !== undefined && spec.from === spec.to) {
    ctx.report('error', valueAt(r.source, ['spec', 'to']), `from and to are both '${spec.to}'; a canary moves traffic from one subset to another`);
  }
  return { name: metadata.name, namespace, source: valueAt(r.source, []), spec, service: service.fqdn };
}

/** The Canary documents, checked; each one whose references hold becomes a CanaryModel. */
export function checkCanaries(ctx: CheckContext, resources: readonly ParsedResource[]): CanaryModel[] {
  const canaries: CanaryModel[] = [];
  const names = new Map<string, SourceRef>();
  for (const r of resources) {
    if (r.kind !== 'Canary') continue;
    const at = valueAt(r.source, ['metadata', 'name']);
    const first = names.get(r.value.metadata.name);
    if (first) {
      ctx.report('error', at, `Canary ${r.value.metadata.name} is defined twice`, `the first is at ${formatRef(first)}; give one of them another name`);
      continue;
    }
    names.set(r.value.metadata.name, at);
    const canary = checkCanary(ctx, r);
    if (canary) canaries.push(canary);
  }
  return canaries;
}
