import type { DigestLinks } from '../services/notifications/compose-digest.ts';

/** The pages a job's messages link to, on the origin people reach this RA at. */
export function jobLinks(origin: string): DigestLinks {
  return {
    myCard: `${origin}/my-card`,
    person: (id) => `${origin}/people/${id}`,
  };
}
