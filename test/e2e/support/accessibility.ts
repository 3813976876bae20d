import type { Page } from 'playwright-core';

/** The part of a Chromium accessibility node these checks read. */
interface AXNode {
  ignored: boolean;
  role?: { value: string };
  name?: { value: string };
  backendDOMNodeId?: number;
}

/** Roles a person operates: each needs a name that a screen reader can say. */
const controlRoles = new Set([
  'button',
  'checkbox',
  'combobox',
  'DateTime',
  'link',
  'listbox',
  'menuitem',
  'radio',
  'searchbox',
  'slider',
  'spinbutton',
  'switch',
  'tab',
  'textbox',
]);

/**
 * Controls with no accessible name, as Chromium's own accessibility tree computes it (the
 * tree a screen reader gets), shadow roots included. Each is described by its element.
 */
export async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: AXNode[] };
    const unnamed = nodes.filter(
      (n) => !n.ignored && controlRoles.has(n.role?.value ?? '') && !n.name?.value?.trim(),
    );
    const described: string[] = [];
    for (const n of unnamed) {
      const { node } = (await cdp.send('DOM.describeNode', {
        backendNodeId: n.backendDOMNodeId ?? 0,
      })) as { node: { nodeName: string; attributes?: string[] } };
      described.push(`${n.role?.value}: <${node.nodeName} ${(node.attributes ?? []).join(' ')}>`);
    }
    return described;
  } finally {
    await cdp.detach();
  }
}

/**
 * Form fields without a real `<label>` that has words in it: placeholder text, titles and
 * aria-labels do not count, since a label is what a sighted user reads above the field too.
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
 * Text whose colour does not stand out enough from what is behind it, by WCAG 2.2's
 * contrast ratio: 4.5:1 for body text, 3:1 for large text (AA). The background is found by
 * compositing the background colours of the element and its ancestors across shadow roots;
 * background images are not considered (the app has none behind text). Disabled controls are
 * exempt, as WCAG exempts inactive components.
 */
export function lowContrastText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Rgba = [number, number, number, number];
    const parse = (colour: string): Rgba => {
      const parts = colour.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0, 0];
      return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1];
    };
    const over = (top: Rgba, under: Rgba): Rgba => {
      const a = top[3];
      return [
        top[0] * a + under[0] * (1 - a),
        top[1] * a + under[1] * (1 - a),
        top[2] * a + under[2] * (1 - a),
        1,
      ];
    };
    const luminance = ([r, g, b]: Rgba) => {
      const channel = (v: number) => {
        const s = v / 255;
        return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    // The parent in the rendered (flattened) tree: slot for slotted content, host at a root.
    const parentOf = (el: Element): Element | null =>
      el.assignedSlot ??
      el.parentElement ??
      ((el.getRootNode() as ShadowRoot | Document) instanceof ShadowRoot
        ? (el.getRootNode() as ShadowRoot).host
        : null);
    const backgroundOf = (el: Element): Rgba => {
      const layers: Rgba[] = [];
      for (let node: Element | null = el; node; node = parentOf(node)) {
        const bg = parse(getComputedStyle(node).backgroundColor);
        if (bg[3] > 0) layers.push(bg);
        if (bg[3] >= 1) break;
      }
      return layers.reduceRight<Rgba>((under, top) => over(top, under), [255, 255, 255, 1]);
    };

    const problems: string[] = [];
    const visit = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) visit(el.shadowRoot);
        const text = [...el.childNodes]
          .filter((n) => n.nodeType === Node.TEXT_NODE)
          .map((n) => n.textContent ?? '')
          .join('')
          .trim();
        if (!text || el.closest('option, script, style, noscript')) continue;
        if (el.matches(':disabled') || el.closest('[disabled]')) continue;
        const box = el.getBoundingClientRect();
        // Visually hidden text (1px boxes) is for screen readers, not eyes.
        if (box.width <= 1 || box.height <= 1) continue;
        if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
        const style = getComputedStyle(el);
        const background = backgroundOf(el);
        const colour = over(parse(style.color), background);
        const [light, dark] = [luminance(colour), luminance(background)].sort((a, b) => b - a) as [
          number,
          number,
        ];
        const ratio = (light + 0.05) / (dark + 0.05);
        const size = Number.parseFloat(style.fontSize);
        const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
        if (ratio < (large ? 3 : 4.5)) {
          problems.push(
            `"${text.slice(0, 40)}" ${ratio.toFixed(2)}:1 (${style.color} on rgb(${background
              .slice(0, 3)
              .map(Math.round)
              .join(', ')}))`,
          );
        }
      }
    };
    visit(document);
    return problems;
  });
}

/** Whether the focused element (inside shadow roots too) shows a focus ring. */
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
