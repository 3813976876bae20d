import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionsOf } from '../../server/permissions/permissions.ts';
import { demoAccounts } from '../../server/services/demo/seed-demo.ts';
import { navItems } from '../../web/src/nav.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import {
  axeViolations,
  fieldsWithoutLabel,
  sidewaysOverflow,
  waitForLoaded,
} from './support/accessibility.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';

/** A desk PC's screen and a phone's (an iPhone 12 to 15 is 390 CSS pixels wide). */
const widths = [1280, 390] as const;

interface Visit {
  /** Who looks: a demo username, or null for someone not signed in. */
  as: string | null;
  /** What the page is called in test names and screenshot files. */
  name: string;
  /** The address, or a function that finds one (a person this user may see). */
  path: string | ((page: Page) => Promise<string>);
  /** The tab's title before " – Smartcard RA" (a person's page may name the person). */
  title: string | RegExp;
}

/** The demo users who hold a permission, most privileged first (the demo's own order). */
const holders = (permission: (typeof navItems)[number]['permission']) =>
  demoAccounts.filter((a) => permissionsOf([a.role]).includes(permission)).map((a) => a.username);

/**
 * Two views of a page: the most privileged user who can see it (every action shows) and the
 * least (most of it hidden), which differ most.
 */
const viewers = (permission: (typeof navItems)[number]['permission']) => {
  const all = holders(permission);
  return [...new Set([all[0], all.at(-1)])].filter((u): u is string => !!u);
};

/** A person the signed-in user may open: the first their search lists. */
const somePerson = async (page: Page) => {
  const res = await page.request.get(new URL('/api/people', page.url()).href);
  const { items } = (await res.json()) as { items: { id: string }[] };
  if (!items[0]) throw new Error('this user can see no person');
  return `/people/${items[0].id}`;
};

/** A card the signed-in user may open: the first of their own, or of a flag they see. */
const someCard = async (page: Page) => {
  const api = (path: string) => page.request.get(new URL(path, page.url()).href);
  const me = (await (await api('/api/me/person')).json()) as { cards?: { serial: string }[] };
  const own = me.cards?.[0]?.serial;
  if (own) return `/cards/${own}`;
  const flags = (await (await api('/api/flags')).json()) as {
    items: { card: { serial: string }; person: unknown }[];
  };
  const held = flags.items.find((f) => f.person)?.card.serial;
  if (!held) throw new Error('this user can see no card');
  return `/cards/${held}`;
};

/**
 * Every page of the app: the public ones, then each place of the navigation (so a page
 * added there is visited here without anyone remembering to), a person's page, and the
 * pages for an address that is wrong or not open to the user.
 */
const visits: Visit[] = [
  { as: null, name: 'login', path: '/login', title: 'Sign in' },
  { as: null, name: 'activate', path: '/activate', title: 'Choose your password' },
  { as: null, name: 'check-card', path: '/check-card', title: 'Check my card' },
  ...navItems.flatMap((item) =>
    viewers(item.permission).map((as) => ({
      as,
      name: item.path.slice(1),
      path: item.path,
      title: item.title ?? item.label,
    })),
  ),
  ...viewers('people:read').map((as) => ({
    as,
    name: 'person',
    path: somePerson,
    title: /^.+$/,
  })),
  ...viewers('cards:read').map((as) => ({
    as,
    name: 'card',
    path: someCard,
    title: /^Card .+$/,
  })),
  { as: 'staff', name: 'card', path: someCard, title: /^Card .+$/ },
  { as: 'staff', name: 'not-found', path: '/peple', title: 'Page not found' },
  { as: 'staff', name: 'not-open', path: '/audit', title: 'Not open to your role' },
];

/** The visits grouped by who makes them, so each user signs in once. */
const byUser = new Map<string | null, Visit[]>();
for (const visit of visits) byUser.set(visit.as, [...(byUser.get(visit.as) ?? []), visit]);

describe('every page, at 1280 and 390 pixels wide, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  const shots = `${screenshotDir}/ra-pages`;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    // The demo's morning, so that lists, tables and the audit trail are full, as people
    // see them, rather than empty.
    await seedDemoMorning(app);
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  for (const [user, userVisits] of byUser) {
    describe(user ?? 'signed out', () => {
      let page: Page;
      beforeAll(async () => {
        page = await openPage(browser);
        if (user) await signIn(page, app.url, user);
      });
      afterAll(() => page?.context().close());

      for (const width of widths) {
        for (const visit of userVisits) {
          it(`${visit.name} at ${width} px: no sideways scroll, nothing serious for axe-core`, async () => {
            await page.setViewportSize({ width, height: width > 800 ? 800 : 844 });
            const path = typeof visit.path === 'string' ? visit.path : await visit.path(page);
            await settleAfter(page, () => page.goto(`${app.url}${path}`));
            await waitForLoaded(page);
            expect(new URL(page.url()).pathname, 'stays at its address').toBe(path);
            const title = (await page.title()).replace(/ – Smartcard RA$/, '');
            if (typeof visit.title === 'string') expect(title).toBe(visit.title);
            else expect(title).toMatch(visit.title);
            expect(await page.title()).toMatch(/. – Smartcard RA$/);
            await page.screenshot({
              path: `${shots}/${user ?? 'public'}-${visit.name}-${width}.png`,
              fullPage: true,
            });
            // Every problem of the page at once, printed in full.
            const problems = [
              ...(await sidewaysOverflow(page)).map((p) => `past the right edge: ${p}`),
              ...(await axeViolations(page)).map((v) => `axe-core: ${v}`),
              ...(await fieldsWithoutLabel(page)).map((f) => `no <label>: ${f}`),
            ];
            expect(problems, `\n${problems.join('\n')}\n`).toEqual([]);
          });
        }
      }
    });
  }
});
