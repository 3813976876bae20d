import type { FlagKind } from '../../../db/schema/cards.ts';
import { type CertificateSummary, parseCertificate } from '../../../pki/certificate-summary.ts';
import type { ObservationInput, Slot } from './observation-input.ts';

/** Something an observation shows about a card: a flag to raise, or to keep open. */
export interface Condition {
  kind: FlagKind;
  /** The certificate it is about ('' for the card itself). */
  certificateSha256: string;
  details: Record<string, unknown>;
}

export type ObservedCard = NonNullable<ObservationInput['card']>;

/** A certificate read off the card: its summary, and its DER when the agent sent it. */
export interface SeenCertificate extends CertificateSummary {
  slot: Slot;
  der: Buffer | null;
}

/**
 * The readable certificates of a card. With its DER, a certificate's summary is read from the
 * DER here (the route has checked it is the certificate the sha256 names), not taken on the
 * agent's word.
 */
export function seenCertificates(card: ObservedCard): SeenCertificate[] {
  return card.certificates.flatMap((entry): SeenCertificate[] => {
    if (!('certificate' in entry)) return [];
    const { der: base64, ...summary } = entry.certificate;
    if (base64 === undefined) return [{ ...summary, slot: entry.slot, der: null }];
    const der = Buffer.from(base64, 'base64');
    try {
      return [{ ...parseCertificate(der), slot: entry.slot, der }];
    } catch {
      // Only a caller that skipped the route's check gets here: judge it on the summary.
      return [{ ...summary, slot: entry.slot, der: null }];
    }
  });
}

/** What a flag about one certificate keeps of it, for the flag's list. */
export const certificateDetails = (c: SeenCertificate) => ({
  slot: c.slot,
  subject: c.subject,
  issuer: c.issuer,
  serialNumber: c.serialNumber,
  notAfter: c.notAfter,
  sha256: c.sha256.toLowerCase(),
});

/**
 * The 12-digit user ID a certificate names: its UPN's (`<user id>@domain`, the authentication
 * certificate), else its subject's serialNumber (every certificate our CA issues).
 */
export function userIdOf(c: CertificateSummary): string | null {
  const upn = c.upn ? /^(\d{12})@/.exec(c.upn)?.[1] : undefined;
  if (upn) return upn;
  return /(?:^|, )serialNumber=(\d{12})(?:,|$)/.exec(c.subject)?.[1] ?? null;
}
