// IST0108 UnknownAnnotation and IST0107 MisplacedAnnotation, as Istio's annotations analyzer:
// an annotation of Istio's domains (`*istio.io/…`, and kubernetes.io/ingress.class) that Istio
// does not define, or one on a kind it does not apply to. Checked where Istio checks them — the
// metadata of Services and Deployments — and on a Deployment's or StatefulSet's pod template,
// which is where the pods Istio would check get theirs.
import type { ParsedResource } from '../kinds.ts';
import { keyAt, type Path } from '../position.ts';
import type { Report } from '../report.ts';
import { nearest } from '../suggest.ts';
import { IST } from './codes.ts';
import { IGNORED_ANNOTATIONS, ISTIO_ANNOTATIONS } from './istio-annotations.ts';

function isIstioAnnotation(name: string): boolean {
  return name === 'kubernetes.io/ingress.class' || (name.split('/')[0] ?? '').endsWith('istio.io');
}

function checkAnnotations(r: ParsedResource, path: Path, annotations: unknown, kind: string, report: Report): void {
  if (annotations === null || typeof annotations !== 'object') return;
  for (const name of Object.keys(annotations)) {
    if (!isIstioAnnotation(name) || IGNORED_ANNOTATIONS.has(name)) continue;
    const at = keyAt(r.source, [...path, name]);
    const applies = ISTIO_ANNOTATIONS.get(name);
    if (!applies) {
      const guess = nearest(name, ISTIO_ANNOTATIONS.keys());
      report('warning', at, `Unknown annotation: ${name}`, guess ? `did you mean ${guess}?` : 'Istio defines no annotation of this name; see istio.io/latest/docs/reference/config/annotations/', IST.UnknownAnnotation);
    } else if (!applies.includes('Any') && !applies.includes(kind)) {
      report('warning', at, `Misplaced annotation: ${name} can only be applied to ${applies.join(', ')}`,
        applies.includes('Pod') && kind !== 'Pod' ? 'put it on the pod template: spec.template.metadata.annotations' : undefined, IST.MisplacedAnnotation);
    }
  }
}

export function analyzeAnnotations(resources: readonly ParsedResource[], report: Report): void {
  for (const r of resources) {
    if (r.kind !== 'Service' && r.kind !== 'Deployment' && r.kind !== 'StatefulSet') continue;
    const doc = r.source.value as { metadata?: { annotations?: unknown }; spec?: { template?: { metadata?: { annotations?: unknown } } } };
    if (r.kind !== 'StatefulSet') checkAnnotations(r, ['metadata', 'annotations'], doc.metadata?.annotations, r.kind, report);
    if (r.kind !== 'Service') checkAnnotations(r, ['spec', 'template', 'metadata', 'annotations'], doc.spec?.template?.metadata?.annotations, 'Pod', report);
  }
}
