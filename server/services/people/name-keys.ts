/**
 * A name as search and the duplicate check compare it: compatibility forms folded
 * (fullwidth "Ｐａｔｅｌ" is "Patel"), invisible format characters (zero-width space,
 * soft hyphen) dropped, accents stripped, lower case (Greek's final ς as σ), single spaces. "Zoë O'Brien" and
 * "zoe o'brien" have the same key.
 */
export function nameKey(name: string): string {
  return (
    name
      .normalize('NFKC')
      .replace(/\p{Cf}/gu, '')
      .normalize('NFD')
      .replace(/\p{Diacritic}/gu, '')
      .toLowerCase()
      // Greek sigma has two small forms, and lower-casing picks ς at a word's end: "ΟΔΥΣ"
      // typed would not be the start of "οδυσσεας". One form, σ, in every key.
      .replace(/ς/g, 'σ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** Every stored key of a person's names: see the `people` table. */
export function nameKeys(givenName: string, familyName: string) {
  const givenKey = nameKey(givenName);
  const familyKey = nameKey(familyName);
  return {
    givenKey,
    familyKey,
    familyGivenKey: `${familyKey} ${givenKey}`,
    givenFamilyKey: `${givenKey} ${familyKey}`,
  };
}

/** The 12-digit user ID as people read it: `5550 8668 9106`. */
export function groupUserId(userId: string): string {
  return userId.replace(/(\d{4})(?=\d)/g, '$1 ');
}
