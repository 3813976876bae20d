import { randomInt } from 'node:crypto';

/**
 * A new random 12-digit user ID. The first digit is never 0 so that the ID survives being
 * pasted into a spreadsheet; uniqueness is the database's (people_user_id_uq), and the
 * caller retries on the rare clash.
 */
export function newUserId(): string {
  const high = randomInt(1, 10);
  const rest = Array.from({ length: 11 }, () => randomInt(0, 10)).join('');
  return `${high}${rest}`;
}
