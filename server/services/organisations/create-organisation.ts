import { organisations } from '../../../db/schema/organisations.ts';
import { ConflictError, ForbiddenError, ValidationError } from '../../errors.ts';
import { actorScope, assertInScope } from '../access/actor-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { findOrganisation } from './find-organisation.ts';
import { getOrganisation } from './get-organisation.ts';
import { odsCodeProblem } from './ods-code.ts';

export interface CreateOrganisationInput {
  odsCode: string;
  name: string;
  parentOdsCode?: string | undefined;
}

/**
 * Adds an organisation. A site goes under a parent the caller manages; a new top-level
 * organisation (a trust) needs a role that covers every organisation.
 */
export async function createOrganisation(ctx: ServiceContext, input: CreateOrganisationInput) {
  const problem = odsCodeProblem(input.odsCode);
  if (problem) {
    throw new ValidationError(`The ODS code ${problem}.`, [{ field: 'odsCode', message: problem }]);
  }
  return withTransaction(ctx, async (tx) => {
    if (input.parentOdsCode) {
      // Locked so that the parent cannot be closed while a site is added under it.
      const parent = await findOrganisation(tx, input.parentOdsCode, { lock: true });
      if (!parent) {
        throw new ValidationError(
          `There is no organisation ${input.parentOdsCode} to add ${input.odsCode} under.`,
          [{ field: 'parentOdsCode', message: `is not a known ODS code` }],
        );
      }
      await assertInScope(tx, 'organisations:manage', parent.odsCode, 'organisations');
      if (parent.status === 'closed') {
        throw new ConflictError(
          `${parent.odsCode} (${parent.name}) is closed: reopen it before adding sites to it.`,
        );
      }
    } else if (!(await actorScope(tx)).of('organisations:manage').all) {
      throw new ForbiddenError(
        'Only an RA manager for every organisation can add a top-level organisation; to add a site, give its parentOdsCode.',
      );
    }
    const taken = await findOrganisation(tx, input.odsCode);
    if (taken) {
      throw new ConflictError(`${input.odsCode} already exists: ${taken.name}.`, {
        odsCode: taken.odsCode,
      });
    }
    await tx.db.insert(organisations).values({
      odsCode: input.odsCode,
      name: input.name,
      parentOdsCode: input.parentOdsCode ?? null,
      createdAt: ctx.now(),
    });
    await recordAuditEvent(tx, {
      action: 'organisation.created',
      subjectType: 'organisation',
      subjectId: input.odsCode,
      summary: {
        odsCode: input.odsCode,
        name: input.name,
        parentOdsCode: input.parentOdsCode ?? null,
      },
    });
    return getOrganisation(tx, input.odsCode);
  });
}
