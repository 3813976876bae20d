/**
 * The API's shapes, taken from the server's own schemas so the two cannot drift. Only
 * types cross from server/ to web/: nothing of the server is bundled.
 */
import type { z } from '@hono/zod-openapi';
import type { Permission } from '../../../server/permissions/permissions.ts';
import type { PersonCard as PersonCardSchema } from '../../../server/routes/people-schemas.ts';
import type { Me as MeSchema } from '../../../server/routes/schemas.ts';

export type { Permission };
export type Me = z.infer<typeof MeSchema>;

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: unknown };
}

export interface Assignment {
  id: string;
  position: { id: string; name: string; odsCode: string; systems: string[] };
  startDate: string;
  endDate: string | null;
  state: 'active' | 'future' | 'expired' | 'removed' | 'position_closed';
  endedAt: string | null;
  endNote: string | null;
}

export interface Person {
  view: 'full';
  id: string;
  userId: string;
  givenName: string;
  middleNames: string | null;
  familyName: string;
  nameOnCard: string | null;
  dateOfBirth: string;
  email: string | null;
  phone: string | null;
  status: string;
  organisations: { odsCode: string; name: string }[];
  username: string | null;
  identityCheck: {
    checkedAt: string;
    checkedBy: string;
    overrideReason: string | null;
    documents: {
      type: string;
      label: string;
      category: string;
      issuingCountry: string;
      expiresOn: string | null;
    }[];
  } | null;
  assignments: Assignment[];
  /** Listed to those who may read cards, and to the holder; empty otherwise. */
  cards: PersonCard[];
}

interface Who {
  username: string;
  displayName: string;
}

export interface AccessRequest {
  id: string;
  kind: 'assign' | 'remove';
  status: 'open' | 'approved' | 'rejected' | 'withdrawn';
  person: { id: string; userId: string; name: string };
  position: { id: string; name: string; odsCode: string };
  startDate: string | null;
  endDate: string | null;
  note: string | null;
  raisedBy: Who;
  raisedAt: string;
  claim: { by: Who; until: string } | null;
  decidedBy: Who | null;
  decidedAt: string | null;
  decisionReason: string | null;
}

/** A position as the positions API lists it. */
export interface Position {
  id: string;
  odsCode: string;
  name: string;
  jobRoles: { code: string; name: string }[];
  activities: { code: string; name: string }[];
  workgroups: { id: string; name: string }[];
  systems: string[];
  assignable: boolean;
  status: 'active' | 'closed';
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A card the RA holds for a person, as their page shows it: the server's own schema. */
export type PersonCard = z.infer<typeof PersonCardSchema>;
