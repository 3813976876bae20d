import { createHmac } from 'node:crypto';
import { and, eq, inArray, ne } from 'drizzle-orm';
import { identityChecks, identityDocuments, people } from '../../../db/schema/people.ts';
import {
  DomainError,
  type FieldProblem,
  NotFoundError,
  SeparationOfDutiesError,
  ValidationError,
} from '../../errors.ts';
import { assertPersonInScope } from '../access/person-access.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { displayDate, todayOf } from '../dates.ts';
import { type DocumentType, documentTypes } from './document-types.ts';
import { lockDocumentNumbers } from './duplicate-locks.ts';
import { groupUserId } from './name-keys.ts';

export interface SeenDocument {
  type: DocumentType;
  issuingCountry: string;
  expiresOn?: string | undefined;
  /** The document's number as printed. Only its keyed hash is kept. */
  number: string;
}

export interface IdentityCheckInput {
  documents: SeenDocument[];
  duplicateOverride?: { reason: string } | undefined;
}

/**
 * A document number as the duplicate check compares it: compatibility forms folded
 * (fullwidth "Ｚ" is "Z"), invisible format characters (zero-width space, soft hyphen)
 * dropped, no spaces or hyphens, upper case.
 */
export function normalisedDocumentNumber(number: string): string {
  return number
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .replace(/[\s-]/g, '')
    .toUpperCase();
}

/** The keyed hash of a document number: the same passport always gives the same hash. */
export function documentNumberHash(key: string, type: DocumentType, number: string): string {
  const normalised = normalisedDocumentNumber(number);
  return createHmac('sha256', key).update(`${type}:${normalised}`).digest('hex');
}

/** The e-GIF level 3 rule: three documents, a photo ID and a proof of address, none expired. */
export function egifProblems(documents: SeenDocument[], today: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const categories = documents.map((d) => documentTypes[d.type].category);
  if (documents.length < 3) {
    problems.push({
      field: 'documents',
      message: `Give three documents: ${documents.length === 1 ? '1 was' : `${documents.length} were`} given`,
    });
  }
  if (!categories.includes('photo_id')) {
    problems.push({
      field: 'documents',
      message: 'At least one document must be a photo ID, such as a passport',
    });
  }
  if (!categories.includes('proof_of_address')) {
    problems.push({
      field: 'documents',
      message: 'At least one document must be a proof of address, such as a utility bill',
    });
  }
  documents.forEach((d, i) => {
    if (d.expiresOn && d.expiresOn < today) {
      problems.push({
        field: `documents.${i}.expiresOn`,
        message: `This ${documentTypes[d.type].label.toLowerCase()} expired on ${displayDate(d.expiresOn)}: give one in date`,
      });
    }
  });
  const seen = new Set<string>();
  documents.forEach((d, i) => {
    const key = `${d.type}:${normalisedDocumentNumber(d.number)}`;
    if (seen.has(key)) {
      problems.push({
        field: `documents.${i}`,
        message: 'This is the same document as another one given',
      });
    }
    seen.add(key);
  });
  return problems;
}

/** What is wrong with the documents of an identity check, for whichever are given. */
export async function identityCheckProblems(
  ctx: ServiceContext,
  input: Partial<Pick<IdentityCheckInput, 'documents'>>,
): Promise<FieldProblem[]> {
  return input.documents ? egifProblems(input.documents, todayOf(ctx.now())) : [];
}

/**
 * Records the documents an ID checker saw in person. When they meet e-GIF level 3 the
 * person becomes active; a document already seen for someone else stops the check with
 * that person named, unless the checker gives an override reason (also when two checks race:
 * see duplicate-locks.ts). Only an actor who may register people for one of the person's
 * organisations may check them.
 */
export async function recordIdentityCheck(
  ctx: ServiceContext,
  personId: string,
  input: IdentityCheckInput,
  hashKey: string,
) {
  const actor = ctx.actor;
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  const problems = await identityCheckProblems(ctx, input);
  if (problems.length) throw ValidationError.of(problems);
  return withTransaction(ctx, async (tx) => {
    const [person] = await tx.db.select().from(people).where(eq(people.id, personId)).for('update');
    if (!person) throw new NotFoundError('There is no such person.');
    await assertPersonInScope(tx, 'people:register', personId, 'check the identity of people');
    if (person.accountId === actor.accountId) {
      throw new SeparationOfDutiesError('You cannot check your own identity: ask a colleague.');
    }
    if (person.status === 'closed') {
      throw new DomainError(
        'CONFLICT',
        'This person’s record is closed, and a closed record stays closed: register them again.',
      );
    }
    const hashed = input.documents.map((d) => ({
      ...d,
      hash: documentNumberHash(hashKey, d.type, d.number),
    }));
    // A check showing any of the same documents at the same moment waits here, then sees ours.
    await lockDocumentNumbers(
      tx,
      hashed.map((d) => d.hash),
    );
    const matches = await tx.db
      .selectDistinct({
        id: people.id,
        userId: people.userId,
        givenName: people.givenName,
        familyName: people.familyName,
      })
      .from(identityDocuments)
      .innerJoin(people, eq(people.id, identityDocuments.personId))
      .where(
        and(
          inArray(
            identityDocuments.numberHash,
            hashed.map((d) => d.hash),
          ),
          ne(identityDocuments.personId, personId),
        ),
      );
    if (matches.length && !input.duplicateOverride) {
      const named = matches
        .map((m) => `${m.givenName} ${m.familyName} (${groupUserId(m.userId)})`)
        .join('; ');
      throw new DomainError(
        'POSSIBLE_DUPLICATE',
        `A document shown was already seen for ${named}. This may be a second registration of the same person: check that record. To go on, give an override reason.`,
        { duplicates: matches.map((m) => ({ ...m, userId: groupUserId(m.userId) })) },
      );
    }
    const now = ctx.now();
    const [check] = await tx.db
      .insert(identityChecks)
      .values({
        personId,
        checkedBy: actor.accountId,
        checkedAt: now,
        overrideReason: input.duplicateOverride?.reason ?? null,
      })
      .returning({ id: identityChecks.id });
    if (!check) throw new Error('identity check insert returned no row');
    await tx.db.insert(identityDocuments).values(
      hashed.map((d) => ({
        checkId: check.id,
        personId,
        type: d.type,
        category: documentTypes[d.type].category,
        issuingCountry: d.issuingCountry,
        expiresOn: d.expiresOn ?? null,
        numberHash: d.hash,
      })),
    );
    const becameActive = person.status === 'pending_id_check';
    if (becameActive) {
      await tx.db
        .update(people)
        .set({ status: 'active', updatedAt: now })
        .where(eq(people.id, personId));
    }
    await recordAuditEvent(tx, {
      action: 'person.identity_checked',
      subjectType: 'person',
      subjectId: personId,
      summary: {
        documents: input.documents.map((d) => ({ type: d.type, issuingCountry: d.issuingCountry })),
        status: becameActive ? 'active' : person.status,
        ...(input.duplicateOverride
          ? {
              duplicateOverride: input.duplicateOverride.reason,
              possibleDuplicates: matches.map((m) => m.id),
            }
          : {}),
      },
    });
    return { checkId: check.id, status: becameActive ? 'active' : person.status };
  });
}
