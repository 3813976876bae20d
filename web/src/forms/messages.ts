/** Words for problems the browser finds in a form, shared by `FormFeedback`. */

/**
 * What to say of a control left empty: "Enter the document number", "Choose the type" (a
 * select, a box, a file), from the control's own label (never its group's), its first word in
 * lower case unless it is an abbreviation ("Enter the ODS code").
 */
export function missingMessage(control: { type: string; tagName: string }, label: string): string {
  const choose =
    control.type === 'checkbox' ||
    control.type === 'radio' ||
    control.type === 'file' ||
    control.tagName === 'SELECT';
  return `${choose ? 'Choose' : 'Enter'} the ${lowerFirst(label)}`;
}

/** "Document number" → "document number"; "ODS code" and "ID" keep their capitals. */
export function lowerFirst(label: string): string {
  const first = label.split(/\s/, 1)[0] ?? '';
  if (first.length > 1 && first === first.toUpperCase()) return label;
  return label.charAt(0).toLowerCase() + label.slice(1);
}
