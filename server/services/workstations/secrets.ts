import { createHash, randomBytes } from 'node:crypto';

// Crockford's base32: no I, L, O or U, so a code read out over the phone is not misheard.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A one-time enrolment code: 16 characters (80 bits) in four groups, e.g. K7QM-4TZP-9XWD-2HRB. */
export function newEnrolmentCode(): string {
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => alphabet[b & 31]).join('');
  return chars.match(/.{4}/g)?.join('-') ?? chars;
}

/**
 * The code as typed, made canonical: case and dashes or spaces do not matter, and the
 * letters Crockford reads as digits (O, I, L) are read so. Null when it cannot be a code.
 */
export function canonicalCode(typed: string): string | null {
  const plain = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(plain) ? plain : null;
}

/** A workstation's credential: high-entropy, so a plain SHA-256 of it is safe to keep. */
export function newCredential(): string {
  return `sra_ws_${randomBytes(32).toString('base64url')}`;
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
