// The localmesh `Canary` kind: the plan of `mesh canary` kept in git, its fields named after
// Flagger's Canary (spec.analysis: interval, threshold, maxWeight, stepWeight, stepWeights,
// metrics with thresholdRange, webhooks). It changes no traffic: the control plane does not
// compile it; `mesh canary DIR NAME` runs it.
import { z } from 'zod';
import { Duration, Metadata } from './common.ts';
import { MESH_API_VERSION } from './mesh.ts';

export const CANARY_METRICS = ['request-success-rate', 'request-duration'] as const;
/** Flagger's webhook types localmesh runs: pre-rollout (before the first step), rollout (before each check). */
export const CANARY_WEBHOOK_TYPES = ['pre-rollout', 'rollout'] as const;

const Weight = z.number().int().min(1).max(100);

export const CanaryMetric = z.strictObject({
  /** Flagger's built-in metrics: request-success-rate (percent, thresholdRange.min), request-duration (ms, p99, thresholdRange.max). */
  name: z.enum(CANARY_METRICS),
  thresholdRange: z.strictObject({ min: z.number().optional(), max: z.number().optional() }),
  /** Flagger's query window; localmesh measures over analysis.interval, so it must be that or absent. */
  interval: Duration.optional(),
});

export const CanaryWebhook = z.strictObject({
  name: z.string().min(1).optional(),
  /** Flagger's default type is rollout. */
  type: z.enum(CANARY_WEBHOOK_TYPES).default('rollout'),
  url: z.string().min(1),
  timeout: Duration.optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export const CanaryAnalysis = z.strictObject({
  interval: Duration.optional(),
  threshold: z.number().int().min(1).optional(),
  maxWeight: Weight.optional(),
  stepWeight: Weight.optional(),
  stepWeights: z.array(Weight).min(1).optional(),
  metrics: z.array(CanaryMetric).optional(),
  webhooks: z.array(CanaryWebhook).optional(),
});

export const CanarySpec = z.strictObject({
  /** The service whose traffic moves, as `mesh weight` takes it (`reviews`, `reviews.default`, the FQDN). */
  host: z.string().min(1),
  /** The subset that has the traffic (default: the route's destination with the most weight) and the one that takes it. */
  from: z.string().min(1).optional(),
  to: z.string().min(1),
  /** The VirtualService http route's name, when several routes go to the host. */
  route: z.string().min(1).optional(),
  analysis: CanaryAnalysis.optional(),
  /** Requests the canary must answer in each interval for a check to count. */
  minRequests: z.number().int().min(0).optional(),
  /** The built-in load (default: through the mesh's gateway), or false for traffic of your own. */
  load: z.union([z.literal(false), z.strictObject({ url: z.string().min(1).optional(), rps: z.number().int().min(1).optional() })]).optional(),
});
export type CanarySpec = z.infer<typeof CanarySpec>;

export const Canary = z.strictObject({
  apiVersion: z.literal(MESH_API_VERSION),
  kind: z.literal('Canary'),
  metadata: Metadata,
  spec: CanarySpec,
});
export type Canary = z.infer<typeof Canary>;
