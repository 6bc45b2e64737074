// `mesh validate --analyze`: the lint pass in the spirit of `istioctl analyze`. The analyzers here
// find what Istio's analyzers find and localmesh's validator does not check (it runs the mesh
// either way); what both find is reported once, by the validator, with Istio's code (codes.ts).
import type { CheckContext } from '../context.ts';
import type { ParsedResource } from '../kinds.ts';
import { analyzeAnnotations } from './annotations.ts';
import { analyzeConflictingGateways } from './conflicting-gateways.ts';
import { analyzeDestinationPorts } from './destination-port.ts';
import { analyzeGatewaySelectors } from './gateway-selector.ts';
import { analyzeServerCertificates } from './server-certificates.ts';

export { IST, CODE_NAMES } from './codes.ts';

/** Every analyzer, on the checked mesh; each reports with its Istio code. */
export function analyze(ctx: CheckContext, resources: readonly ParsedResource[]): void {
  analyzeAnnotations(resources, ctx.report);
  analyzeGatewaySelectors(ctx);
  analyzeConflictingGateways(ctx);
  analyzeDestinationPorts(ctx);
  analyzeServerCertificates(ctx);
}
