import { and, eq, inArray, sql } from 'drizzle-orm';
import { accounts } from '../../../db/schema/accounts.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { DomainError, type FieldProblem, ForbiddenError, ValidationError } from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import { createAccount } from '../accounts/create-account.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { lockPersonIdentity } from './duplicate-locks.ts';
import { groupUserId, nameKeys } from './name-keys.ts';
import { dateOfBirthProblems } from './person-input.ts';
import { newUserId } from './user-id.ts';

export interface RegisterPersonInput {
  givenName: string;
  middleNames?: string | undefined;
  familyName: string;
  nameOnCard?: string | undefined;
  dateOfBirth: string;
  email?: string | undefined;
  phone?: string | undefined;
  odsCodes: string[];
  /** Gives the person a login (role staff) and returns a one-time activation code. */
  username?: string | undefined;
  /** Go on although a possible duplicate was found, and why. */
  duplicateOverride?: { reason: string } | undefined;
}

/**
 * Registers a person, pending their identity check. A person with the same names and date
 * of birth stops the registration with the existing record named, unless the caller gives
 * an override reason, which is audited. The check holds however many clerks register the
 * same person at once: see duplicate-locks.ts.
 */
export async function registerPerson(ctx: ServiceContext, input: RegisterPersonInput) {
  const problems = await registrationProblems(ctx, input);
  if (problems.length) throw ValidationError.of(problems);
  const odsCodes = [...new Set(input.odsCodes)];
  const scope = await actorScope(ctx);
  const outside = odsCodes.filter((code) => !scope.covers('people:register', code));
  if (outside.length) {
    throw new ForbiddenError(
      `You can register people only for your own organisations, not ${outside.join(', ')}.`,
    );
  }

  return withTransaction(ctx, async (tx) => {
    const keys = nameKeys(input.givenName, input.familyName);
    // Whoever registers the same person at the same moment waits here, then sees this one.
    await lockPersonIdentity(tx, keys, input.dateOfBirth);
    const duplicates = await tx.db
      .select({
        id: people.id,
        userId: people.userId,
        givenName: people.givenName,
        familyName: people.familyName,
        status: people.status,
      })
      .from(people)
      .where(
        and(
          eq(people.familyKey, keys.familyKey),
          eq(people.givenKey, keys.givenKey),
          eq(people.dateOfBirth, input.dateOfBirth),
        ),
      );
    if (duplicates.length && !input.duplicateOverride) {
      const named = duplicates
        .map((d) => `${d.givenName} ${d.familyName} (${groupUserId(d.userId)}, ${d.status})`)
        .join('; ');
      throw new DomainError(
        'POSSIBLE_DUPLICATE',
        `This person may already be registered: ${named}. Open that record first; if this is a different person, register again with an override reason.`,
        { duplicates: duplicates.map((d) => ({ ...d, userId: groupUserId(d.userId) })) },
      );
    }

    let accountId: string | null = null;
    let activation: { username: string; code: string; expiresAt: Date } | null = null;
    if (input.username) {
      const created = await createAccount(tx, {
        username: input.username,
        displayName: `${input.givenName} ${input.familyName}`,
        email: input.email ?? null,
        roles: [{ role: 'staff', odsCode: null }],
      });
      accountId = created.accountId;
      activation = created.activation;
    }

    const now = ctx.now();
    // A clash of random 12-digit IDs is rare; try a few before giving up.
    let person: { id: string; userId: string } | undefined;
    for (let attempt = 0; !person && attempt < 5; attempt++) {
      const userId = newUserId();
      const [clash] = await tx.db
        .select({ id: people.id })
        .from(people)
        .where(eq(people.userId, userId));
      if (clash) continue;
      [person] = await tx.db
        .insert(people)
        .values({
          userId,
          givenName: input.givenName,
          middleNames: input.middleNames ?? null,
          familyName: input.familyName,
          nameOnCard: input.nameOnCard ?? null,
          dateOfBirth: input.dateOfBirth,
          email: input.email ?? null,
          phone: input.phone ?? null,
          ...keys,
          accountId,
          createdAt: now,
          createdBy: ctx.actor?.accountId ?? null,
          updatedAt: now,
        })
        .returning({ id: people.id, userId: people.userId });
    }
    if (!person) throw new Error('could not allocate a unique user ID');
    await tx.db
      .insert(personOrganisations)
      .values(odsCodes.map((odsCode) => ({ personId: person.id, odsCode })));
    await recordAuditEvent(tx, {
      action: 'person.registered',
      subjectType: 'person',
      subjectId: person.id,
      summary: {
        userId: person.userId,
        name: `${input.givenName} ${input.familyName}`,
        organisations: odsCodes,
        username: input.username ?? null,
        ...(input.duplicateOverride
          ? {
              duplicateOverride: input.duplicateOverride.reason,
              possibleDuplicates: duplicates.map((d) => d.id),
            }
          : {}),
      },
    });
    return { id: person.id, userId: person.userId, activation };
  });
}

/**
 * What is wrong with a registration beyond its format: a date of birth in the future or
 * implausible, ODS codes no organisation has, a username taken. All of it at once, for
 * whichever of the fields are given (a form's other fields may still be wrong). Making the
 * login checks the username again, for a registration racing this one.
 */
export async function registrationProblems(
  ctx: ServiceContext,
  input: Partial<Pick<RegisterPersonInput, 'dateOfBirth' | 'odsCodes' | 'username'>>,
): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  if (input.dateOfBirth !== undefined) {
    problems.push(...dateOfBirthProblems(input.dateOfBirth, ctx.now()));
  }
  const odsCodes = input.odsCodes ?? [];
  if (odsCodes.length) {
    const known = await ctx.db
      .select({ odsCode: organisations.odsCode })
      .from(organisations)
      .where(inArray(organisations.odsCode, odsCodes));
    odsCodes.forEach((code, i) => {
      if (!known.some((k) => k.odsCode === code)) {
        problems.push({ field: `odsCodes.${i}`, message: `No organisation has ODS code ${code}` });
      }
    });
  }
  if (input.username !== undefined) {
    const [taken] = await ctx.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(sql`lower(${accounts.username})`, input.username.toLowerCase()));
    if (taken) {
      problems.push({
        field: 'username',
        message: `The username ${input.username} is taken: choose another`,
      });
    }
  }
  return problems;
}
