/**
 * A name as search compares it: accents stripped, lower case, single spaces. "Zoë
 * O'Brien" and "zoe o'brien" have the same key.
 */
export function nameKey(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** The 12-digit user ID as people read it: `5550 8668 9106`. */
export function groupUserId(userId: string): string {
  return userId.replace(/(\d{4})(?=\d)/g, '$1 ');
}
