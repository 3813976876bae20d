import * as pkijs from 'pkijs';
import { engine, parseCertificateDer } from './x509-parts.ts';

export interface ChainVerdict {
  valid: boolean;
  /** Why not, in pkijs's words; empty when valid. */
  reason: string;
}

/**
 * Whether `leaf` chains to one of `trusted` through the `intermediates`, at `at`.
 *
 * pkijs's CertificateChainValidationEngine validates the LAST certificate of its list; put the
 * leaf anywhere else and it answers for an intermediate instead (a foreign leaf listed before our
 * issuing CA comes back valid). So the leaf goes last, and the verdict holds only if the path
 * pkijs validated contains this very leaf.
 */
export async function verifyChain(input: {
  leaf: Uint8Array;
  intermediates: Uint8Array[];
  trusted: Uint8Array[];
  at?: Date;
}): Promise<ChainVerdict> {
  const leaf = parseCertificateDer(input.leaf);
  const chain = new pkijs.CertificateChainValidationEngine({
    trustedCerts: input.trusted.map(parseCertificateDer),
    certs: [...input.intermediates.map(parseCertificateDer), leaf],
    checkDate: input.at ?? new Date(),
  });
  const result = await chain.verify({}, engine);
  if (!result.result) return { valid: false, reason: result.resultMessage };
  const leafDer = Buffer.from(leaf.toSchema().toBER(false));
  const path = result.certificatePath ?? [];
  if (!path.some((cert) => leafDer.equals(Buffer.from(cert.toSchema().toBER(false))))) {
    return { valid: false, reason: 'the certificate does not chain to a trusted CA' };
  }
  return { valid: true, reason: '' };
}

/**
 * Whether `leaf` names `ca`'s subject as its issuer: what it claims, not whether `ca` signed it
 * (verifyChain answers that).
 */
export function namesIssuer(leaf: Uint8Array, ca: Uint8Array): boolean {
  return parseCertificateDer(leaf).issuer.isEqual(parseCertificateDer(ca).subject);
}
