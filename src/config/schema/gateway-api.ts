// Kubernetes Gateway API kinds (gateway.networking.k8s.io), as Istio reads them: a `Gateway` of
// class istio and the `HTTPRoute`s bound to it or, for traffic inside the mesh (GAMMA), to a
// Service. The fields localmesh translates are typed strictly (a typo is an error naming the
// field); `status`, as `kubectl get -o yaml` writes it, is accepted and ignored.
import { z } from 'zod';
import { AnyDuration, Metadata } from './common.ts';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API_VERSIONS = [`${GATEWAY_API_GROUP}/v1`, `${GATEWAY_API_GROUP}/v1beta1`] as const;

const ApiVersion = z.enum(GATEWAY_API_VERSIONS);
const Port = z.number().int().min(1).max(65535);

// ---------- Gateway ----------

export const Listener = z.strictObject({
  name: z.string().min(1),
  hostname: z.string().min(1).optional(),
  port: Port,
  protocol: z.string().min(1),
  tls: z.unknown().optional(),
  allowedRoutes: z
    .strictObject({
      namespaces: z
        .strictObject({
          from: z.enum(['All', 'Same', 'Selector']).optional(),
          selector: z.unknown().optional(),
        })
        .optional(),
      kinds: z.array(z.strictObject({ group: z.string().optional(), kind: z.string().min(1) })).optional(),
    })
    .optional(),
});
export type Listener = z.infer<typeof Listener>;

export const KubeGatewaySpec = z.strictObject({
  gatewayClassName: z.string().min(1),
  listeners: z.array(Listener).min(1),
  addresses: z.unknown().optional(),
  infrastructure: z.unknown().optional(),
});

export const KubeGateway = z.looseObject({
  apiVersion: ApiVersion,
  kind: z.literal('Gateway'),
  metadata: Metadata,
  spec: KubeGatewaySpec,
  status: z.unknown().optional(),
});
export type KubeGateway = z.infer<typeof KubeGateway>;

// ---------- HTTPRoute ----------

export const ParentRef = z.strictObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  namespace: z.string().min(1).optional(),
  name: z.string().min(1),
  sectionName: z.string().min(1).optional(),
  port: Port.optional(),
});
export type ParentRef = z.infer<typeof ParentRef>;

const HeaderMatchType = z.enum(['Exact', 'RegularExpression']);

export const HTTPRouteMatch = z.strictObject({
  path: z
    .strictObject({
      type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).optional(),
      value: z.string().optional(),
    })
    .optional(),
  headers: z.array(z.strictObject({ type: HeaderMatchType.optional(), name: z.string().min(1), value: z.string() })).optional(),
  queryParams: z.array(z.strictObject({ type: HeaderMatchType.optional(), name: z.string().min(1), value: z.string() })).optional(),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']).optional(),
});
export type HTTPRouteMatch = z.infer<typeof HTTPRouteMatch>;

const HTTPHeader = z.strictObject({ name: z.string().min(1), value: z.string() });

export const HeaderModifier = z.strictObject({
  set: z.array(HTTPHeader).optional(),
  add: z.array(HTTPHeader).optional(),
  remove: z.array(z.string().min(1)).optional(),
});
export type HeaderModifier = z.infer<typeof HeaderModifier>;

const PathModifier = z.strictObject({
  type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']),
  replaceFullPath: z.string().optional(),
  replacePrefixMatch: z.string().optional(),
});

export const BackendObjectRef = z.strictObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  port: Port.optional(),
});
export type BackendObjectRef = z.infer<typeof BackendObjectRef>;

export const HTTPRouteFilter = z.strictObject({
  type: z.enum(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror', 'ExtensionRef', 'CORS']),
  requestHeaderModifier: HeaderModifier.optional(),
  responseHeaderModifier: HeaderModifier.optional(),
  requestRedirect: z
    .strictObject({
      scheme: z.enum(['http', 'https']).optional(),
      hostname: z.string().min(1).optional(),
      path: PathModifier.optional(),
      port: Port.optional(),
      statusCode: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).optional(),
    })
    .optional(),
  urlRewrite: z.strictObject({ hostname: z.string().min(1).optional(), path: PathModifier.optional() }).optional(),
  requestMirror: z
    .strictObject({
      backendRef: BackendObjectRef,
      percent: z.number().int().min(0).max(100).optional(),
      fraction: z.strictObject({ numerator: z.number().int().min(0), denominator: z.number().int().min(1).optional() }).optional(),
    })
    .optional(),
  extensionRef: z.unknown().optional(),
  cors: z.unknown().optional(),
});
export type HTTPRouteFilter = z.infer<typeof HTTPRouteFilter>;

export const HTTPBackendRef = z.strictObject({
  ...BackendObjectRef.shape,
  weight: z.number().int().min(0).max(1000000).optional(),
  filters: z.array(HTTPRouteFilter).optional(),
});
export type HTTPBackendRef = z.infer<typeof HTTPBackendRef>;

export const HTTPRouteRule = z.strictObject({
  name: z.string().min(1).optional(),
  matches: z.array(HTTPRouteMatch).optional(),
  filters: z.array(HTTPRouteFilter).optional(),
  backendRefs: z.array(HTTPBackendRef).optional(),
  timeouts: z.strictObject({ request: AnyDuration.optional(), backendRequest: AnyDuration.optional() }).optional(),
});
export type HTTPRouteRule = z.infer<typeof HTTPRouteRule>;

export const HTTPRouteSpec = z.strictObject({
  parentRefs: z.array(ParentRef).optional(),
  hostnames: z.array(z.string().min(1)).optional(),
  rules: z.array(HTTPRouteRule).optional(),
});

export const HTTPRouteKind = z.looseObject({
  apiVersion: ApiVersion,
  kind: z.literal('HTTPRoute'),
  metadata: Metadata,
  spec: HTTPRouteSpec,
  status: z.unknown().optional(),
});
export type HTTPRouteKind = z.infer<typeof HTTPRouteKind>;
