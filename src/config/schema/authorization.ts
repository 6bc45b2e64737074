// Istio's security.istio.io kinds that decide who may call a workload: AuthorizationPolicy and
// RequestAuthentication (v1 and v1beta1), field for field as Istio's API defines them.
import { z } from 'zod';
import { Duration, Metadata, StringMap } from './common.ts';
import { SECURITY_API_VERSIONS } from './security.ts';

const Strings = z.array(z.string());

const Selector = z.strictObject({ matchLabels: StringMap.optional() });

/** A reference to the object a policy attaches to (Kubernetes Gateway API style). */
const TargetRef = z.strictObject({ group: z.string().optional(), kind: z.string(), name: z.string(), namespace: z.string().optional() });

export const Source = z.strictObject({
  principals: Strings.optional(),
  notPrincipals: Strings.optional(),
  requestPrincipals: Strings.optional(),
  notRequestPrincipals: Strings.optional(),
  namespaces: Strings.optional(),
  notNamespaces: Strings.optional(),
  ipBlocks: Strings.optional(),
  notIpBlocks: Strings.optional(),
  remoteIpBlocks: Strings.optional(),
  notRemoteIpBlocks: Strings.optional(),
  serviceAccounts: Strings.optional(),
  notServiceAccounts: Strings.optional(),
  trustDomains: Strings.optional(),
  notTrustDomains: Strings.optional(),
});
export type Source = z.infer<typeof Source>;

export const Operation = z.strictObject({
  hosts: Strings.optional(),
  notHosts: Strings.optional(),
  ports: Strings.optional(),
  notPorts: Strings.optional(),
  methods: Strings.optional(),
  notMethods: Strings.optional(),
  paths: Strings.optional(),
  notPaths: Strings.optional(),
});
export type Operation = z.infer<typeof Operation>;

export const Condition = z.strictObject({
  key: z.string().min(1),
  values: Strings.optional(),
  notValues: Strings.optional(),
});
export type Condition = z.infer<typeof Condition>;

export const Rule = z.strictObject({
  from: z.array(z.strictObject({ source: Source })).optional(),
  to: z.array(z.strictObject({ operation: Operation })).optional(),
  when: z.array(Condition).optional(),
});
export type Rule = z.infer<typeof Rule>;

export const AuthorizationAction = z.enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']);
export type AuthorizationAction = z.infer<typeof AuthorizationAction>;

export const AuthorizationPolicySpec = z.strictObject({
  selector: Selector.optional(),
  targetRef: TargetRef.optional(),
  targetRefs: z.array(TargetRef).optional(),
  rules: z.array(Rule).optional(),
  action: AuthorizationAction.optional(),
  provider: z.strictObject({ name: z.string() }).optional(),
});
export type AuthorizationPolicySpec = z.infer<typeof AuthorizationPolicySpec>;

export const AuthorizationPolicy = z.looseObject({
  apiVersion: z.enum(SECURITY_API_VERSIONS),
  kind: z.literal('AuthorizationPolicy'),
  metadata: Metadata,
  spec: AuthorizationPolicySpec.default({}),
});
export type AuthorizationPolicy = z.infer<typeof AuthorizationPolicy>;

export const JwtRule = z.strictObject({
  issuer: z.string().min(1),
  audiences: Strings.optional(),
  jwksUri: z.string().optional(),
  jwks: z.string().optional(),
  fromHeaders: z.array(z.strictObject({ name: z.string().min(1), prefix: z.string().optional() })).optional(),
  fromParams: Strings.optional(),
  fromCookies: Strings.optional(),
  outputPayloadToHeader: z.string().optional(),
  forwardOriginalToken: z.boolean().optional(),
  outputClaimToHeaders: z.array(z.strictObject({ header: z.string().min(1), claim: z.string().min(1) })).optional(),
  timeout: Duration.optional(),
});
export type JwtRule = z.infer<typeof JwtRule>;

export const RequestAuthenticationSpec = z.strictObject({
  selector: Selector.optional(),
  targetRef: TargetRef.optional(),
  targetRefs: z.array(TargetRef).optional(),
  jwtRules: z.array(JwtRule).optional(),
});
export type RequestAuthenticationSpec = z.infer<typeof RequestAuthenticationSpec>;

export const RequestAuthentication = z.looseObject({
  apiVersion: z.enum(SECURITY_API_VERSIONS),
  kind: z.literal('RequestAuthentication'),
  metadata: Metadata,
  spec: RequestAuthenticationSpec.default({}),
});
export type RequestAuthentication = z.infer<typeof RequestAuthentication>;
