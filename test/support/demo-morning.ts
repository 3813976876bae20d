import { seedDemoActivity } from '../../server/services/demo/seed-demo-activity.ts';
import { seedDemoStock } from '../../server/services/demo/seed-demo-stock.ts';
import {
  certificateAuthorityExists,
  initCertificateAuthority,
} from '../../server/services/pki/certificate-authority.ts';
import type { TestApp } from './test-app.ts';

/**
 * The demo's morning of work on a test app, as `npm start` seeds it: the demo's CA first
 * (its cards are issued by it), then the morning.
 */
export async function seedDemoMorning(t: Pick<TestApp, 'ctx' | 'config'>): Promise<void> {
  if (!(await certificateAuthorityExists(t.ctx))) {
    const passphrase = t.config.caKeyPassphrase;
    if (!passphrase) throw new Error('the test app has no CA_KEY_PASSPHRASE');
    await initCertificateAuthority(t.ctx, { passphrase, organisation: 'Smartcard RA Demo' });
  }
  await seedDemoActivity(t.ctx, {
    login: t.config.login,
    documentHashKey: t.config.documentHashKey ?? '',
  });
  await seedDemoStock(t.ctx, t.config.caKeyPassphrase ?? '');
}
