/** Words for statuses that sentence case alone would get wrong. */
const statusWords: Record<string, string> = {
  pending_id_check: 'Pending ID check',
  issued_locked: 'Issued, locked',
  in_stock: 'In stock',
  position_closed: 'Position closed',
  person_closed: 'Person closed',
};

/**
 * A status code (a card's state, a person's, a request's, ...) in words, sentence case:
 * "active" → "Active", "pending_id_check" → "Pending ID check". What the pages' tags and
 * the report downloads both show.
 */
export const statusLabel = (status: string) => {
  const known = statusWords[status];
  if (known) return known;
  const plain = status.replaceAll('_', ' ');
  return plain.charAt(0).toUpperCase() + plain.slice(1);
};
