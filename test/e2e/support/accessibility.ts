import axe from 'axe-core';
import type { Locator, Page } from 'playwright-core';

/** The impacts a page may not have: axe-core's two highest. */
const blocking = new Set(['serious', 'critical']);

/**
 * What axe-core (the checker most accessibility audits use) finds wrong with the page as it
 * is now, shadow roots included: one line per broken rule with its impact, then the CSS
 * path of each element it found on (`ra-app > ra-shell … > button`). Only `serious` and
 * `critical` findings are returned unless `impacts` says otherwise.
 */
export async function axeViolations(
  page: Page,
  impacts: ReadonlySet<string> = blocking,
): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) {
    // Evaluated through the DevTools protocol, which the app's CSP (no inline script) allows.
    await page.evaluate(axe.source);
  }
  const results = await page.evaluate(() =>
    (window as unknown as { axe: typeof axe }).axe.run(document, {
      resultTypes: ['violations'],
    }),
  );
  return results.violations
    .filter((v) => impacts.has(v.impact ?? ''))
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}\n${v.nodes
          .map(
            (n) =>
              `    ${JSON.stringify(n.target)} ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`,
          )
          .join('\n')}`,
    );
}

/**
 * Our own rule, stricter than axe-core's: every form field has a real `<label>` with words
 * in it. Placeholders, titles and aria-labels do not count, since a label is what a sighted
 * user reads above the field too.
 */
export function fieldsWithoutLabel(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const visit = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) visit(el.shadowRoot);
        if (
          !(
            el instanceof HTMLInputElement ||
            el instanceof HTMLSelectElement ||
            el instanceof HTMLTextAreaElement
          )
        )
          continue;
        if (el instanceof HTMLInputElement && ['hidden', 'submit', 'button'].includes(el.type))
          continue;
        const labelled = [...(el.labels ?? [])].some((l) => l.textContent?.trim());
        if (!labelled) found.push(el.outerHTML);
      }
    };
    visit(document);
    return found;
  });
}

/**
 * Our own rule, which axe-core cannot check (it does not move focus): the focused element
 * (inside shadow roots too) shows a focus ring, an outline of 2px or more or a box shadow.
 */
export function focusIsVisible(page: Page): Promise<{ element: string; visible: boolean }> {
  return page.evaluate(() => {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    if (!active || active === document.body) return { element: 'none', visible: false };
    const style = getComputedStyle(active);
    const outline = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2;
    const ring = style.boxShadow !== 'none';
    return {
      element: `${active.tagName.toLowerCase()} ${active.textContent?.trim() || active.id}`,
      visible: outline || ring,
    };
  });
}

/** The focused element (tag, id and text), looking inside shadow roots. */
export function focusedElement(page: Page): Promise<string> {
  return page.evaluate(() => {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    if (!active) return '';
    return `${active.tagName.toLowerCase()}${active.id ? `#${active.id}` : ''} ${active.textContent?.trim() ?? ''}`.trim();
  });
}

/**
 * What makes the page scroll sideways: the document wider than the window, and each element
 * (shadow roots included) that reaches past the window's right edge while its parent does
 * not, described by its path through the hosts. What a box clips (visually hidden text) does
 * not count.
 */
export function sidewaysOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const found: string[] = [];
    const scrollWidth = document.documentElement.scrollWidth;
    if (scrollWidth > width) found.push(`the page is ${scrollWidth}px wide in a ${width}px window`);
    const describe = (el: Element) => {
      const parts: string[] = [];
      for (let node: Element | null = el; node; ) {
        parts.unshift(
          `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ''}${
            node.classList.length ? `.${[...node.classList].join('.')}` : ''
          }`,
        );
        const root = node.getRootNode();
        node = node.parentElement ?? (root instanceof ShadowRoot ? root.host : null);
      }
      return parts.join(' > ');
    };
    // The rendered tree: a host's shadow children, then its own (slotted) children.
    const visit = (el: Element, parentOverflows: boolean) => {
      const box = el.getBoundingClientRect();
      const counts = box.width > 1 && box.height > 1;
      const overflows = counts && box.right > width + 0.5;
      if (overflows && !parentOverflows) {
        found.push(
          `${describe(el)}: ${Math.round(box.width)}px wide, right edge at ${Math.round(box.right)}px`,
        );
      }
      // What a box clips (overflow hidden, as visually hidden text is) cannot widen the page;
      // what a scroll box holds still scrolls sideways, so it counts.
      const style = getComputedStyle(el);
      if (style.overflowX === 'hidden' || style.overflowX === 'clip') return;
      const children = [...(el.shadowRoot?.children ?? []), ...el.children];
      for (const child of children) visit(child, parentOverflows || overflows);
    };
    visit(document.documentElement, false);
    return found;
  });
}

/**
 * Waits until the page has finished loading what it shows: no `<ra-loading>` and no
 * "Loading" status left anywhere, shadow roots included. Fails naming what still loads.
 */
export async function waitForLoaded(page: Page, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let loading: string[] = [];
  while (Date.now() < deadline) {
    loading = await page.evaluate(() => {
      const left: string[] = [];
      const visit = (root: Document | ShadowRoot) => {
        for (const el of root.querySelectorAll('*')) {
          if (el.shadowRoot) visit(el.shadowRoot);
          if (el.tagName === 'RA-LOADING') left.push('<ra-loading>');
          else if (
            el.getAttribute('role') === 'status' &&
            /^\s*Loading/i.test(el.textContent ?? '')
          )
            left.push(`status "${el.textContent?.trim()}"`);
        }
      };
      visit(document);
      return left;
    });
    if (loading.length === 0) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`the page was still loading after ${timeoutMs} ms: ${loading.join(', ')}`);
}

/** Whether an element is wholly inside the window: what the person sees without scrolling. */
export async function inView(page: Page, element: Locator): Promise<boolean> {
  const box = await element.boundingBox();
  const viewport = page.viewportSize();
  if (!box || !viewport) return false;
  return box.y >= 0 && box.y + box.height <= viewport.height && box.x >= 0;
}
