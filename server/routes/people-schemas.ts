import { z } from '@hono/zod-openapi';
import { cardStates, flagKinds, revocationReasons } from '../../db/schema/cards.ts';
import { personStatuses } from '../../db/schema/people.ts';
import { assignmentStates } from '../services/assignments/assignment-state.ts';
import { documentCategories, documentTypeNames } from '../services/people/document-types.ts';
import { personActionNames } from '../services/people/person-actions.ts';
import { isoDate as isoDateSchema } from './schemas.ts';

/** A name a person types: the messages name it, as the page shows them beside its field. */
const name = (label: string, max: number) =>
  z
    .string(`Enter the ${label}`)
    .trim()
    .min(1, `Enter the ${label}`)
    .max(max, `Shorten the ${label} to ${max} characters or fewer`);
/** A calendar date a person types, YYYY-MM-DD, named in its messages. */
const dateOf = (label: string) =>
  isoDateSchema(
    `Enter the ${label} as YYYY-MM-DD, like 1990-01-31`,
    `Enter a ${label} from the year 1 to 9999`,
  );
const odsCode = z
  .string('Enter an ODS code')
  .regex(/^[A-Z0-9]{3,6}$/, 'Enter an ODS code: 3 to 6 capital letters and digits, like RWG01');
const reason = z
  .string('Give a reason')
  .trim()
  .min(3, 'Give a reason of a few words')
  .max(500, 'Shorten the reason to 500 characters or fewer');
const email = z
  .email('Enter an email address, like name@nhs.net')
  .max(254, 'Shorten the email address to 254 characters or fewer');
const phone = z
  .string('Enter a phone number')
  .regex(/^[0-9 +()-]{6,20}$/, 'Enter a phone number of 6 to 20 digits, like 01632 960001');

export const PersonId = z.object({ id: z.uuid('must be a person id (UUID)') });

export const RegisterPerson = z
  .strictObject({
    givenName: name('given name', 100),
    middleNames: name('middle names', 100).optional(),
    familyName: name('family name', 100),
    nameOnCard: name('name on the card', 60).optional(),
    dateOfBirth: dateOf('date of birth'),
    email: email.optional(),
    phone: phone.optional(),
    odsCodes: z
      .array(odsCode, 'Choose at least one organisation')
      .min(1, 'Choose at least one organisation')
      .max(10, 'Choose at most 10 organisations'),
    username: z
      .string('Enter a username')
      .regex(
        /^[a-z0-9._-]{3,64}$/,
        'Choose a username of 3 to 64 lower-case letters, digits, dots and dashes',
      )
      .optional(),
    duplicateOverride: z.strictObject({ reason }).optional(),
  })
  .openapi('RegisterPerson');

export const UpdatePerson = z
  .strictObject({
    givenName: name('given name', 100).optional(),
    middleNames: name('middle names', 100).nullable().optional(),
    familyName: name('family name', 100).optional(),
    nameOnCard: name('name on the card', 60).nullable().optional(),
    dateOfBirth: dateOf('date of birth').optional(),
    email: email.nullable().optional(),
    phone: phone.nullable().optional(),
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
          type: z.enum(documentTypeNames, 'Choose the type of document'),
          issuingCountry: z
            .string('Enter the issuing country')
            .regex(/^[A-Z]{2,3}$/, 'Enter the issuing country as a code, like GB'),
          expiresOn: dateOf('expiry date').optional(),
          number: z
            .string('Enter the document number')
            .trim()
            .min(3, 'Enter the document number: it is too short to be one')
            .max(64, 'Shorten the document number to 64 characters or fewer'),
        }),
        'Give the documents seen',
      )
      .max(10, 'Give at most 10 documents'),
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
        serialNumber: z
          .string()
          .openapi({ description: 'Hex serial number, as the CRL and OCSP name it' }),
        revoked: z.boolean().openapi({ description: 'Revoked or on hold: not to be trusted now' }),
        status: z.enum(['valid', 'on_hold', 'revoked']).openapi({
          description:
            '`on_hold`: suspended with certificateHold, released if the card comes back; `revoked`: for good',
        }),
        revocationReason: z
          .enum(revocationReasons)
          .nullable()
          .openapi({ description: 'The RFC 5280 reason it is revoked or held with' }),
        revokedAt: z.string().nullable(),
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
    positionId: z.uuid('Choose a position'),
    startDate: dateOf('start date').optional(),
    endDate: dateOf('end date').optional(),
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

export { dateOf, reason };
