import { certificateAuthorities } from '../../../db/schema/pki.ts';
import { namesIssuer, verifyChain } from '../../../pki/ca/verify-chain.ts';
import type { ServiceContext } from '../context.ts';

/** Where a certificate we never recorded comes from, judged by its DER against our CAs. */
export type Provenance =
  /** Signed by our issuing CA, chaining to our root. */
  | 'ours'
  /** Names one of our CAs as its issuer, but its signature does not chain to our root. */
  | 'not_chaining'
  /** Another CA's. */
  | 'foreign';

interface OurCas {
  root: Buffer;
  issuing: Buffer;
}

const memoKey = Symbol('our CA certificates');

/** The deployment's CA certificates (null before `ca init`), read once per request. */
async function ourCas(ctx: ServiceContext): Promise<OurCas | null> {
  if (ctx.memo?.has(memoKey)) return ctx.memo.get(memoKey) as OurCas | null;
  const rows = await ctx.db
    .select({ name: certificateAuthorities.name, certificate: certificateAuthorities.certificate })
    .from(certificateAuthorities);
  const root = rows.find((r) => r.name === 'root')?.certificate;
  const issuing = rows.find((r) => r.name === 'issuing')?.certificate;
  const cas = root && issuing ? { root, issuing } : null;
  ctx.memo?.set(memoKey, cas);
  return cas;
}

/**
 * Whether a certificate is one our issuing CA signed (its chain to our root verified with
 * pkijs's engine), one that only claims to be, or another CA's; null when this deployment has
 * no CA yet, so nothing can be said. The chain is checked at a moment inside the certificate's
 * own validity: an expired certificate is judged by its expiry flag, not called forged.
 */
export async function provenanceOf(
  ctx: ServiceContext,
  certificate: { der: Buffer; notBefore: string; notAfter: string },
  observedAt: Date,
): Promise<Provenance | null> {
  const cas = await ourCas(ctx);
  if (!cas) return null;
  const claimsIssuing = namesIssuer(certificate.der, cas.issuing);
  const claimsOurs = claimsIssuing || namesIssuer(certificate.der, cas.root);
  if (!claimsOurs) return 'foreign';
  if (!claimsIssuing) return 'not_chaining';
  const from = Date.parse(certificate.notBefore);
  const until = Date.parse(certificate.notAfter);
  const at = new Date(Math.min(Math.max(observedAt.getTime(), from), until));
  try {
    const verdict = await verifyChain({
      leaf: certificate.der,
      intermediates: [cas.issuing],
      trusted: [cas.root],
      at,
    });
    return verdict.valid ? 'ours' : 'not_chaining';
  } catch {
    // A signature pkijs cannot even check (an algorithm our CA never uses) is not ours.
    return 'not_chaining';
  }
}
