// IST0128 / IST0129 NoServerCertificateVerification (destination and port level): a
// DestinationRule that originates TLS (SIMPLE or MUTUAL) without caCertificates, so the server's
// identity is not verified — unless a workloadSelector scopes a credentialName, as Istio allows.
import type { CheckContext } from '../context.ts';
import { keyAt } from '../position.ts';
import { IST } from './codes.ts';

interface Tls {
  mode?: string;
  caCertificates?: unknown;
  credentialName?: unknown;
}

const verifies = (tls: Tls, scoped: boolean) => Boolean(tls.caCertificates) || (Boolean(tls.credentialName) && scoped);

export function analyzeServerCertificates(ctx: CheckContext): void {
  for (const { item: rule, source } of ctx.destinationRules) {
    const scoped = (source.value as { spec?: { workloadSelector?: unknown } }).spec?.workloadSelector !== undefined;
    const policy = rule.spec.trafficPolicy;
    const tls = policy?.tls as Tls | undefined;
    if (tls && (tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') && !verifies(tls, scoped)) {
      ctx.report('warning', keyAt(source, ['spec', 'trafficPolicy', 'tls', 'mode']),
        `DestinationRule ${rule.name} in namespace ${rule.namespace} has TLS mode set to ${tls.mode} but no caCertificates are set to validate server identity for host: ${rule.spec.host}`,
        'set trafficPolicy.tls.caCertificates to the CA bundle that signed the server certificate', IST.NoServerCertificateVerificationDestinationLevel);
    }
    policy?.portLevelSettings?.forEach((port, i) => {
      const level = port.tls as Tls | undefined;
      if (!level || (level.mode !== 'SIMPLE' && level.mode !== 'MUTUAL') || verifies(level, scoped)) return;
      ctx.report('warning', keyAt(source, ['spec', 'trafficPolicy', 'portLevelSettings', i, 'tls', 'mode']),
        `DestinationRule ${rule.name} in namespace ${rule.namespace} has TLS mode set to ${level.mode} but no caCertificates are set to validate server identity for host: ${rule.spec.host} at port ${port.port?.number ?? '(any)'}`,
        'set caCertificates in this port\'s tls settings', IST.NoServerCertificateVerificationPortLevel);
    });
  }
}
