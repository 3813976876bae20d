import { z } from '@hono/zod-openapi';
import { cardStates, flagKinds } from '../../db/schema/cards.ts';
import { personStatuses } from '../../db/schema/people.ts';
import { assignmentStates } from '../services/assignments/assignment-state.ts';
import { documentCategories, documentTypeNames } from '../services/people/document-types.ts';
import { personActionNames } from '../services/people/person-actions.ts';
import { isoDate as isoDateSchema } from './schemas.ts';

const name = (max: number) =>
  z.string().trim().min(1, 'is empty').max(max, `is longer than ${max} characters`);
const isoDate = isoDateSchema();
const odsCode = z
  .string()
  .regex(/^[A-Z0-9]{3,6}$/, 'must be an ODS code: 3 to 6 capital letters and digits');
const reason = z.string().trim().min(3, 'give a reason of a few words').max(500);

export const PersonId = z.object({ id: z.uuid('must be a person id (UUID)') });

export const RegisterPerson = z
  .strictObject({
    givenName: name(100),
    middleNames: name(100).optional(),
    familyName: name(100),
    nameOnCard: name(60).optional(),
    dateOfBirth: isoDate,
    email: z.email('must be an email address').max(254).optional(),
    phone: z
      .string()
      .regex(/^[0-9 +()-]{6,20}$/, 'must be a phone number')
      .optional(),
    odsCodes: z.array(odsCode).min(1, 'give at least one organisation').max(10),
    username: z
      .string()
      .regex(/^[a-z0-9._-]{3,64}$/, 'use 3 to 64 lower-case letters, digits, dots, dashes')
      .optional(),
    duplicateOverride: z.strictObject({ reason }).optional(),
  })
  .openapi('RegisterPerson');

export const UpdatePerson = z
  .strictObject({
    givenName: name(100).optional(),
    middleNames: name(100).nullable().optional(),
    familyName: name(100).optional(),
    nameOnCard: name(60).nullable().optional(),
    dateOfBirth: isoDate.optional(),
    email: z.email().max(254).nullable().optional(),
    phone: z
      .string()
      .regex(/^[0-9 +()-]{6,20}$/, 'must be a phone number')
      .nullable()
      .optional(),
  })
  .openapi('UpdatePerson', {
    description:
      'The details to change; others stay. Status is changed by suspending, reactivating and closing.',
  });

export const PersonStatusChange = z
  .strictObject({ reason: reason.openapi({ description: 'Why, for the audit trail' }) })
  .openapi('PersonStatusChange');

export const IdentityCheck = z
  .strictObject({
    documents: z
      .array(
        z.strictObject({
          type: z.enum(documentTypeNames),
          issuingCountry: z.string().regex(/^[A-Z]{2,3}$/, 'must be a country code such as GB'),
          expiresOn: isoDate.optional(),
          number: z.string().trim().min(3, 'is too short to be a document number').max(64),
        }),
      )
      .max(10, 'at most 10 documents'),
    duplicateOverride: z.strictObject({ reason }).optional(),
  })
  .openapi('IdentityCheck');

export const PersonSummary = z
  .object({
    id: z.uuid(),
    userId: z.string(),
    givenName: z.string(),
    middleNames: z.string().nullable(),
    familyName: z.string(),
    dateOfBirth: z.string(),
    email: z.string().nullable(),
    status: z.enum(personStatuses),
    odsCodes: z.array(z.string()),
  })
  .openapi('PersonSummary');

export const Assignment = z
  .object({
    id: z.uuid(),
    position: z.object({
      id: z.uuid(),
      name: z.string(),
      odsCode: z.string(),
      systems: z.array(z.string()),
    }),
    startDate: z.string(),
    endDate: z.string().nullable(),
    state: z.enum(assignmentStates),
    endedAt: z.string().nullable(),
    endNote: z.string().nullable(),
    requestId: z.string().nullable(),
    actions: z.array(z.enum(['remove'])).openapi({
      description: 'What the caller may do to this assignment now',
    }),
  })
  .openapi('Assignment');

export const PersonCard = z
  .object({
    serial: z.string(),
    cardType: z.string(),
    state: z.enum(cardStates),
    certificates: z.array(
      z.object({
        slot: z.string().nullable(),
        subject: z.string(),
        notAfter: z.string(),
        daysLeft: z.number().int(),
        revoked: z.boolean(),
      }),
    ),
    lastSeen: z.object({ at: z.string(), workstation: z.string() }).nullable(),
    openFlags: z.array(z.enum(flagKinds)),
  })
  .openapi('PersonCard');

export const Person = z
  .object({
    view: z.literal('full').openapi({ description: 'Everything the caller may see' }),
    id: z.uuid(),
    userId: z.string(),
    givenName: z.string(),
    middleNames: z.string().nullable(),
    familyName: z.string(),
    nameOnCard: z.string().nullable(),
    dateOfBirth: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    status: z.enum(personStatuses),
    organisations: z.array(z.object({ odsCode: z.string(), name: z.string() })),
    username: z.string().nullable(),
    identityCheck: z
      .object({
        checkedAt: z.string(),
        checkedBy: z.string(),
        overrideReason: z.string().nullable(),
        documents: z.array(
          z.object({
            type: z.string(),
            label: z.string(),
            category: z.string(),
            issuingCountry: z.string(),
            expiresOn: z.string().nullable(),
          }),
        ),
      })
      .nullable(),
    assignments: z.array(Assignment),
    cards: z.array(PersonCard),
    actions: z.array(z.enum(personActionNames)).openapi({
      description:
        'What the caller may do to this person now, given their permissions and scope, separation of duties and the person’s status',
    }),
  })
  .openapi('Person');

/**
 * A person as a decider of their request sees them without being able to read people of
 * their organisation: what deciding needs, and no date of birth, contact details, documents
 * seen or cards.
 */
export const PersonForDecider = z
  .object({
    view: z.literal('decider').openapi({
      description: 'Seen only as the subject of a request the caller decides',
    }),
    id: z.uuid(),
    userId: z.string(),
    givenName: z.string(),
    middleNames: z.string().nullable(),
    familyName: z.string(),
    status: z.enum(personStatuses),
    organisations: z.array(z.object({ odsCode: z.string(), name: z.string() })),
    assignments: z.array(Assignment).openapi({ description: 'Positions held now or to come' }),
  })
  .openapi('PersonForDecider');

export const PersonView = z.union([Person, PersonForDecider]).openapi('PersonView');

export const AssignPosition = z
  .strictObject({
    positionId: z.uuid('must be a position id (UUID)'),
    startDate: isoDate.optional(),
    endDate: isoDate.optional(),
  })
  .openapi('AssignPosition');

export const AssignablePosition = z
  .object({
    id: z.uuid(),
    name: z.string(),
    odsCode: z.string(),
    systems: z.array(z.string()),
    assignable: z.boolean().openapi({ description: 'Sponsors may assign it directly' }),
    actions: z.array(z.enum(['assign', 'request'])).openapi({
      description:
        'How the caller may give it to the person: assign it directly, or raise a request for it',
    }),
  })
  .openapi('AssignablePosition');

export const DocumentType = z
  .object({
    type: z.enum(documentTypeNames),
    label: z.string(),
    category: z.enum(documentCategories),
  })
  .openapi('DocumentType', {
    description: 'An identity document an RA accepts as seen in person (e-GIF level 3)',
  });

export const RemoveAssignment = z.strictObject({ note: reason }).openapi('RemoveAssignment');

export { isoDate, reason };
