// Istio's analysis message codes (istio/istio pkg/config/analysis/msg/messages.yaml), by the
// name Istio gives each: what `mesh validate --analyze` shows beside a finding Istio's analyzer
// would report too. Only the codes localmesh reports are here.
export const IST = {
  ReferencedResourceNotFound: 'IST0101',
  SchemaValidationError: 'IST0106',
  MisplacedAnnotation: 'IST0107',
  UnknownAnnotation: 'IST0108',
  ConflictingMeshGatewayVirtualServiceHosts: 'IST0109',
  VirtualServiceDestinationPortSelectorRequired: 'IST0112',
  NoMatchingWorkloadsFound: 'IST0127',
  NoServerCertificateVerificationDestinationLevel: 'IST0128',
  NoServerCertificateVerificationPortLevel: 'IST0129',
  VirtualServiceHostNotFoundInGateway: 'IST0132',
  ConflictingGateways: 'IST0145',
  DestinationRuleSubsetNotSelectPods: 'IST0173',
  UnknownDestinationRuleHost: 'IST0174',
} as const;

export type IstioCode = (typeof IST)[keyof typeof IST];

/** The name of each code, for the JSON output and the README. */
export const CODE_NAMES: Record<IstioCode, string> = Object.fromEntries(Object.entries(IST).map(([name, code]) => [code, name])) as Record<IstioCode, string>;
