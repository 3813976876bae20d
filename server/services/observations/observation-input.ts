import type { CertificateSummary } from '../../../pki/certificate-summary.ts';

/**
 * A certificate as the agent summarises it, with its DER in base64 from agents that send it
 * (checked at the route: at most 16 KiB, and the certificate its sha256 names); never key
 * material.
 */
export type CertificateReport = CertificateSummary & { der?: string };

export type Slot = '9a' | '9c' | '9d' | '9e';

/** One observation from a reader agent (POST /api/agent/observations). */
export interface ObservationInput {
  idempotencyKey: string;
  sequence: number;
  observedAt: string;
  kind: 'card_inserted' | 'card_removed' | 'card_unreadable';
  reader: string;
  atr: string | null;
  cardSerial: string | null;
  card: null | {
    cardType: 'PIV';
    chuid: { guid: string | null; fascn: string | null; expiry: string | null } | null;
    /** Why the CHUID could not be read, from agents that say so. */
    chuidError?: string;
    certificates: (
      | { slot: Slot; certificate: CertificateReport }
      | { slot: Slot; error: string }
    )[];
    pin: { triesLeft: number | null; blocked: boolean; verified: boolean };
  };
  error: string | null;
}
