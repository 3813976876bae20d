import { ForbiddenError } from '../../errors.ts';
import type { Permission } from '../../permissions/permissions.ts';
import { inScope, organisationScope } from '../access/organisation-scope.ts';
import type { ServiceContext } from '../context.ts';

/**
 * Refuses (403) an actor whose roles grant `permission` but not for `odsCode`. `what` names
 * the work in the message, e.g. "positions".
 */
export async function assertInScope(
  ctx: ServiceContext,
  permission: Permission,
  odsCode: string,
  what: string,
): Promise<void> {
  const scope = await organisationScope(ctx, permission);
  if (inScope(scope, odsCode)) return;
  const yours = scope.all ? [] : [...scope.odsCodes].sort();
  throw new ForbiddenError(
    yours.length
      ? `You manage ${what} for ${yours.join(', ')} only, and ${odsCode} is not one of them. Ask an RA manager of ${odsCode}.`
      : `You do not manage ${what} for any organisation.`,
  );
}
