// Istio's networking.istio.io kinds, as users write them (v1, v1beta1 and v1alpha3, deprecated
// fields included). The TypeScript types come from these schemas: one source of truth per kind.
// Fields localmesh reads but does not act on are still accepted here; validate.ts warns about them.
import { z } from 'zod';
import { AnyDuration, Duration, Metadata, Percent, PortNumber, PortSelector, StringMap, StringMatch } from './common.ts';

export const ISTIO_API_VERSIONS = [
  'networking.istio.io/v1',
  'networking.istio.io/v1beta1',
  'networking.istio.io/v1alpha3',
] as const;

const IstioApiVersion = z.enum(ISTIO_API_VERSIONS);

/** An int32, as Istio's CRD schema bounds it. */
const Int32 = z.number().int().min(-2147483648).max(2147483647);
/** A count Istio takes as int32 and rejects when negative. */
const Count = Int32.min(0);
/** A protobuf UInt32Value: Istio's CRD schema rejects a negative one. */
const UInt32 = z.number().int().min(0).max(4294967295);

// ---------- VirtualService ----------

export const Destination = z.strictObject({
  host: z.string().min(1),
  subset: z.string().optional(),
  port: PortSelector.optional(),
});
export type Destination = z.infer<typeof Destination>;

const HeaderOperations = z.strictObject({
  set: StringMap.optional(),
  add: StringMap.optional(),
  remove: z.array(z.string()).optional(),
});
export const Headers = z.strictObject({
  request: HeaderOperations.optional(),
  response: HeaderOperations.optional(),
});
export type Headers = z.infer<typeof Headers>;

export const HTTPMatchRequest = z.strictObject({
  name: z.string().optional(),
  uri: StringMatch.optional(),
  scheme: StringMatch.optional(),
  method: StringMatch.optional(),
  authority: StringMatch.optional(),
  headers: z.record(z.string(), StringMatch).optional(),
  /** 0 is Istio's "not set". */
  port: z.number().int().min(0).max(65535).optional(),
  sourceLabels: StringMap.optional(),
  gateways: z.array(z.string()).optional(),
  queryParams: z.record(z.string(), StringMatch).optional(),
  ignoreUriCase: z.boolean().optional(),
  withoutHeaders: z.record(z.string(), StringMatch).optional(),
  sourceNamespace: z.string().optional(),
  statPrefix: z.string().optional(),
});
export type HTTPMatchRequest = z.infer<typeof HTTPMatchRequest>;

export const HTTPRouteDestination = z.strictObject({
  destination: Destination,
  weight: Int32.optional(),
  headers: Headers.optional(),
});
export type HTTPRouteDestination = z.infer<typeof HTTPRouteDestination>;

export const HTTPRedirect = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  port: PortNumber.optional(),
  derivePort: z.enum(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']).optional(),
  scheme: z.enum(['http', 'https']).optional(),
  redirectCode: z.number().int().min(300).max(399).optional(),
});

export const HTTPDirectResponse = z.strictObject({
  /** Istio allows 200–600; Envoy refuses 600 (DirectResponseAction.status < 600). */
  status: z.number().int().min(200).max(599),
  body: z
    .strictObject({ string: z.string().optional(), bytes: z.string().optional() })
    .optional(),
});

export const HTTPRewrite = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  uriRegexRewrite: z.strictObject({ match: z.string(), rewrite: z.string() }).optional(),
});

export const HTTPRetry = z.strictObject({
  attempts: z.number().int().min(0),
  perTryTimeout: Duration.optional(),
  retryOn: z.string().optional(),
  retryRemoteLocalities: z.boolean().optional(),
  retryIgnorePreviousHosts: z.boolean().optional(),
  backoff: Duration.optional(),
});

export const HTTPFaultInjection = z.strictObject({
  delay: z
    .strictObject({
      fixedDelay: Duration.optional(),
      exponentialDelay: Duration.optional(),
      percentage: Percent.optional(),
      /** Deprecated integer percentage, still in Istio's samples. */
      percent: z.number().int().optional(),
    })
    .optional(),
  abort: z
    .strictObject({
      httpStatus: z.number().int().optional(),
      grpcStatus: z.string().optional(),
      http2Error: z.string().optional(),
      percentage: Percent.optional(),
      /** Deprecated integer percentage. */
      percent: z.number().int().optional(),
    })
    .optional(),
});

export const HTTPMirrorPolicy = z.strictObject({
  destination: Destination,
  percentage: Percent.optional(),
});

export const CorsPolicy = z.strictObject({
  /** Deprecated list of exact origins. */
  allowOrigin: z.array(z.string()).optional(),
  allowOrigins: z.array(StringMatch).optional(),
  allowMethods: z.array(z.string()).optional(),
  allowHeaders: z.array(z.string()).optional(),
  exposeHeaders: z.array(z.string()).optional(),
  maxAge: Duration.optional(),
  allowCredentials: z.boolean().optional(),
  unmatchedPreflights: z.enum(['UNSPECIFIED', 'FORWARD', 'IGNORE']).optional(),
});

export const HTTPRoute = z.strictObject({
  name: z.string().optional(),
  match: z.array(HTTPMatchRequest).optional(),
  route: z.array(HTTPRouteDestination).optional(),
  redirect: HTTPRedirect.optional(),
  directResponse: HTTPDirectResponse.optional(),
  delegate: z.strictObject({ name: z.string(), namespace: z.string().optional() }).optional(),
  rewrite: HTTPRewrite.optional(),
  timeout: Duration.optional(),
  retries: HTTPRetry.optional(),
  fault: HTTPFaultInjection.optional(),
  mirror: Destination.optional(),
  mirrors: z.array(HTTPMirrorPolicy).optional(),
  /** Deprecated integer mirror percentage (v1alpha3). */
  mirrorPercent: z.number().int().optional(),
  mirrorPercentage: Percent.optional(),
  corsPolicy: CorsPolicy.optional(),
  headers: Headers.optional(),
});
export type HTTPRoute = z.infer<typeof HTTPRoute>;

const L4MatchAttributes = z.strictObject({
  destinationSubnets: z.array(z.string()).optional(),
  port: z.number().int().optional(),
  sourceLabels: StringMap.optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
});

const RouteDestination = z.strictObject({
  destination: Destination,
  weight: Int32.optional(),
});

export const TCPRoute = z.strictObject({
  match: z.array(L4MatchAttributes).optional(),
  route: z.array(RouteDestination).optional(),
});
export type TCPRoute = z.infer<typeof TCPRoute>;

const TLSMatchAttributes = z.strictObject({
  sniHosts: z.array(z.string().min(1)).min(1),
  destinationSubnets: z.array(z.string()).optional(),
  port: z.number().int().optional(),
  sourceLabels: StringMap.optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
});

export const TLSRoute = z.strictObject({
  match: z.array(TLSMatchAttributes).min(1),
  route: z.array(RouteDestination).optional(),
});
export type TLSRoute = z.infer<typeof TLSRoute>;

export const VirtualServiceSpec = z.strictObject({
  hosts: z.array(z.string().min(1)).min(1),
  gateways: z.array(z.string()).optional(),
  http: z.array(HTTPRoute).optional(),
  tls: z.array(TLSRoute).optional(),
  tcp: z.array(TCPRoute).optional(),
  exportTo: z.array(z.string()).optional(),
});
export type VirtualServiceSpec = z.infer<typeof VirtualServiceSpec>;

export const VirtualService = z.looseObject({
  apiVersion: IstioApiVersion,
  kind: z.literal('VirtualService'),
  metadata: Metadata,
  spec: VirtualServiceSpec,
});
export type VirtualService = z.infer<typeof VirtualService>;

// ---------- DestinationRule ----------

export const LoadBalancerSettings = z.strictObject({
  simple: z
    .enum(['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'])
    .optional(),
  consistentHash: z
    .strictObject({
      httpHeaderName: z.string().optional(),
      httpCookie: z
        .strictObject({ name: z.string().min(1), path: z.string().optional(), ttl: AnyDuration.optional() })
        .optional(),
      useSourceIp: z.boolean().optional(),
      httpQueryParameterName: z.string().optional(),
      ringHash: z.strictObject({ minimumRingSize: z.number().int().optional() }).optional(),
      maglev: z.strictObject({ tableSize: z.number().int().optional() }).optional(),
      /** Deprecated: use ringHash.minimumRingSize. */
      minimumRingSize: z.number().int().optional(),
    })
    .optional(),
  localityLbSetting: z.looseObject({}).optional(),
  warmupDurationSecs: AnyDuration.optional(),
});
export type LoadBalancerSettings = z.infer<typeof LoadBalancerSettings>;

export const ConnectionPoolSettings = z.strictObject({
  tcp: z
    .strictObject({
      maxConnections: Count.optional(),
      connectTimeout: Duration.optional(),
      tcpKeepalive: z
        .strictObject({
          probes: z.number().int().optional(),
          time: Duration.optional(),
          interval: Duration.optional(),
        })
        .optional(),
      maxConnectionDuration: Duration.optional(),
      /** 0s turns the timeout off. */
      idleTimeout: AnyDuration.optional(),
    })
    .optional(),
  http: z
    .strictObject({
      http1MaxPendingRequests: Count.optional(),
      http2MaxRequests: Count.optional(),
      maxRequestsPerConnection: Count.optional(),
      maxRetries: Count.optional(),
      idleTimeout: Duration.optional(),
      h2UpgradePolicy: z.enum(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']).optional(),
      useClientProtocol: z.boolean().optional(),
      maxConcurrentStreams: Count.optional(),
    })
    .optional(),
});
export type ConnectionPoolSettings = z.infer<typeof ConnectionPoolSettings>;

export const OutlierDetection = z.strictObject({
  splitExternalLocalOriginErrors: z.boolean().optional(),
  consecutiveLocalOriginFailures: UInt32.optional(),
  consecutiveGatewayErrors: UInt32.optional(),
  consecutive5xxErrors: UInt32.optional(),
  /** Deprecated: use consecutive5xxErrors / consecutiveGatewayErrors. */
  consecutiveErrors: z.number().int().optional(),
  interval: Duration.optional(),
  baseEjectionTime: Duration.optional(),
  maxEjectionPercent: z.number().int().min(0).max(100).optional(),
  minHealthPercent: z.number().int().min(0).max(100).optional(),
});
export type OutlierDetection = z.infer<typeof OutlierDetection>;

/** The TLS a sidecar speaks to a destination (Istio's ClientTLSSettings). */
export const ClientTLSSettings = z.strictObject({
  mode: z.enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']).optional(),
  clientCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  /** A PEM file of the CAs that sign the server's certificate; relative paths are read in the mesh directory. */
  caCertificates: z.string().optional(),
  credentialName: z.string().optional(),
  subjectAltNames: z.array(z.string()).optional(),
  sni: z.string().optional(),
  insecureSkipVerify: z.boolean().optional(),
  caCrl: z.string().optional(),
});
export type ClientTLSSettings = z.infer<typeof ClientTLSSettings>;

const TrafficPolicyBase = {
  loadBalancer: LoadBalancerSettings.optional(),
  connectionPool: ConnectionPoolSettings.optional(),
  outlierDetection: OutlierDetection.optional(),
  tls: ClientTLSSettings.optional(),
  tunnel: z.looseObject({}).optional(),
  proxyProtocol: z.looseObject({}).optional(),
};

export const PortTrafficPolicy = z.strictObject({ port: PortSelector.optional(), ...TrafficPolicyBase });

export const TrafficPolicy = z.strictObject({
  ...TrafficPolicyBase,
  portLevelSettings: z.array(PortTrafficPolicy).optional(),
});
export type TrafficPolicy = z.infer<typeof TrafficPolicy>;

export const Subset = z.strictObject({
  name: z.string().min(1),
  labels: StringMap.optional(),
  trafficPolicy: TrafficPolicy.optional(),
});
export type Subset = z.infer<typeof Subset>;

export const DestinationRuleSpec = z.strictObject({
  host: z.string().min(1),
  trafficPolicy: TrafficPolicy.optional(),
  subsets: z.array(Subset).optional(),
  exportTo: z.array(z.string()).optional(),
  workloadSelector: z.looseObject({}).optional(),
});
export type DestinationRuleSpec = z.infer<typeof DestinationRuleSpec>;

export const DestinationRule = z.looseObject({
  apiVersion: IstioApiVersion,
  kind: z.literal('DestinationRule'),
  metadata: Metadata,
  spec: DestinationRuleSpec,
});
export type DestinationRule = z.infer<typeof DestinationRule>;

// ---------- Gateway ----------

/** Istio's protocols (protocol.Parse), in their canonical spelling. */
export const GATEWAY_PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'REDIS', 'MYSQL', 'TCP', 'TLS', 'UDP', 'HTTP_PROXY'] as const;

/** Istio parses a protocol ignoring case (`tls`, `https` in its own samples): read as the canonical name. */
const GatewayProtocol = z.string().transform((p) => p.toUpperCase()).pipe(z.enum(GATEWAY_PROTOCOLS));

const ServerCertificates = {
  serverCertificate: z.string().min(1).optional(),
  privateKey: z.string().min(1).optional(),
  caCertificates: z.string().min(1).optional(),
};

/** Istio's ServerTLSSettings; `mode` as written (validation checks it beside the protocol). */
const ServerTLSSettings = z.looseObject({
  httpsRedirect: z.boolean().optional(),
  mode: z.string().optional(),
  ...ServerCertificates,
  caCrl: z.string().optional(),
  credentialName: z.string().min(1).optional(),
  credentialNames: z.array(z.string()).optional(),
  tlsCertificates: z.array(z.strictObject(ServerCertificates)).optional(),
  subjectAltNames: z.array(z.string()).optional(),
  verifyCertificateSpki: z.array(z.string()).optional(),
  verifyCertificateHash: z.array(z.string()).optional(),
  minProtocolVersion: z.string().optional(),
  maxProtocolVersion: z.string().optional(),
  cipherSuites: z.array(z.string()).optional(),
});

export const Server = z.strictObject({
  port: z.strictObject({
    number: PortNumber,
    protocol: GatewayProtocol,
    /** Istio requires it, unique within a Gateway. */
    name: z.string().min(1),
    /** Istio rejects it on a Gateway (validation.go: "targetPort has no impact on Gateways"). */
    targetPort: z.number().int().optional(),
  }),
  bind: z.string().optional(),
  hosts: z.array(z.string().min(1)).min(1),
  tls: ServerTLSSettings.optional(),
  name: z.string().optional(),
  defaultEndpoint: z.string().optional(),
});
export type Server = z.infer<typeof Server>;

export const GatewaySpec = z.strictObject({
  servers: z.array(Server).min(1),
  selector: StringMap.optional(),
});

export const Gateway = z.looseObject({
  apiVersion: IstioApiVersion,
  kind: z.literal('Gateway'),
  metadata: Metadata,
  spec: GatewaySpec,
});
export type Gateway = z.infer<typeof Gateway>;
