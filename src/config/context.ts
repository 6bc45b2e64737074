// What the cross-reference checks share: the services, the Istio resources with their documents,
// and where to report.
import type { ServiceEntryModel, ServiceModel } from './model.ts';
import type { Report } from './report.ts';
import type { IstioResources } from './resources.ts';

export interface CheckContext extends IstioResources {
  services: readonly ServiceModel[];
  /** The ServiceEntries (config/service-entries.ts): hosts that VirtualServices and DestinationRules may name too. */
  serviceEntries?: readonly ServiceEntryModel[];
  report: Report;
}
