import { randomBytes } from 'node:crypto';
import type { ServiceContext } from '../context.ts';
import { createCardLocation } from '../stock/card-locations.ts';
import { importCards } from '../stock/import-cards.ts';
import { demoActor } from './seed-demo-activity.ts';

/**
 * The demo's blank cards: a box in the RA office at Riverside General (RWG01) and a few kept
 * at the second site's (RWG02) ward office, imported by the RA manager through the same verbs
 * as the stock page, each with the manufacturer's default management key (sealed under the
 * CA passphrase, as every import is).
 */
export async function seedDemoStock(ctx: ServiceContext, caKeyPassphrase: string): Promise<void> {
  const manager: ServiceContext = { ...ctx, actor: await demoActor(ctx, 'manager') };
  const serials = (n: number) =>
    Array.from({ length: n }, () => randomBytes(16).toString('hex')).join('\n');
  for (const [odsCode, name, count] of [
    ['RWG01', 'RA office safe', 12],
    ['RWG02', 'Ward office cabinet', 5],
  ] as const) {
    const location = await createCardLocation(manager, { odsCode, name });
    await importCards(
      manager,
      { locationId: location.id, text: serials(count), format: 'list' },
      caKeyPassphrase,
    );
  }
}
