/** The shape of an ODS code: 3 to 6 capital letters and digits (`RWG`, `RWG01`). */
export const odsCodePattern = /^[A-Z0-9]{3,6}$/;

/**
 * What is wrong with a would-be ODS code, in words an RA clerk can act on, or null when it
 * is well formed. Only short input is echoed back, so a pasted paragraph is not repeated.
 */
export function odsCodeProblem(value: string): string | null {
  if (odsCodePattern.test(value)) return null;
  if (value.length < 3 || value.length > 6) {
    return `must be an ODS code of 3 to 6 letters and digits, such as RWG or RWG01 (this has ${value.length} characters)`;
  }
  if (odsCodePattern.test(value.toUpperCase())) {
    return `must be in capitals: ${value.toUpperCase()}, not ${value}`;
  }
  return 'must be an ODS code of letters and digits only, such as RWG01 (no spaces, dashes or other characters)';
}
