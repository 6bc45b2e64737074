// Building blocks shared by the schemas. Every object is strict: an unknown field is an error
// that names the field (a typo such as `weigth` must not be silently ignored).
import { z } from 'zod';

/** Kubernetes object metadata: name is required; the rest a cluster adds (uid, labels, ...) is accepted. */
export const Metadata = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/**
 * A duration as Istio writes it: `1.5s`, `100ms`, `2m`, `1h`, `250us`. Checked in meaning, kept as
 * text, and as Istio checks it (ValidateDuration): at least 1ms, in whole milliseconds.
 */
export const Duration = z.string();

/** A duration Istio does not bound: zero allowed (a session cookie's ttl, a TCP idle timeout of 0s that turns it off). */
export const AnyDuration = z.string();

/** A port number, 1–65535. */
export const PortNumber = z.number().int().min(1).max(65535);

export const Percent = z.strictObject({ value: z.number() });

export const StringMap = z.record(z.string(), z.string());

/** Istio's StringMatch: one of exact, prefix, regex; `{}` means "present" for headers. */
export const StringMatch = z.strictObject({
  exact: z.string().optional(),
  prefix: z.string().optional(),
  regex: z.string().optional(),
});
export type StringMatch = z.infer<typeof StringMatch>;

export const PortSelector = z.strictObject({ number: PortNumber });
