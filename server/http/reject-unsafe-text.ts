import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { type FieldProblem, ValidationError } from '../errors.ts';
import type { AppEnv } from './app-env.ts';
import { goalOf } from './validation-hook.ts';

/** Half of a UTF-16 surrogate pair without its other half: not a character at all. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const nulMessage = 'contains a NUL character (U+0000), which text cannot hold: remove it';
const surrogateMessage =
  'contains a broken character (half of a surrogate pair, not a whole character): retype it';
const encodingMessage =
  'is not valid UTF-8 once percent-decoded (it encodes bytes that are no character)';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** At most this many problems are named; one is enough to act on, a flood helps nobody. */
const maxProblems = 20;

/** The first control character other than tab, line feed and carriage return (ESC, BEL, DEL, C1). */
function firstControl(text: string): string | undefined {
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    const c0 = code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
    if (c0 || (code >= 0x7f && code <= 0x9f)) return ch;
  }
  return undefined;
}
/** Direction overrides and isolates: they make text read otherwise than it is stored. */
const directionControl = /[\u202A-\u202E\u2066-\u2069]/;
/** Code points Unicode keeps as no character at all. */
const nonCharacter = /[\uFDD0-\uFDEF\uFFFE\uFFFF]/;

const codePoint = (ch: string) =>
  `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `text` cannot be stored as text, or null when it can. */
export function unsafeTextProblem(text: string): string | null {
  if (text.includes('\u0000')) return nulMessage;
  if (loneSurrogate.test(text)) return surrogateMessage;
  const control = firstControl(text);
  if (control) return `contains a control character (${codePoint(control)}): remove it`;
  const direction = directionControl.exec(text)?.[0];
  if (direction) {
    return `contains a text-direction control (${codePoint(direction)}), which can make text read otherwise than it is: remove it`;
  }
  const none = nonCharacter.exec(text)?.[0];
  if (none) return `contains ${codePoint(none)}, which is no character: remove it`;
  return null;
}

/** A field name fit to show back: hostile names are not echoed. */
function shown(name: string): string {
  return unsafeTextProblem(name) ? '(a field name)' : name.slice(0, 100);
}

/**
 * One rule at the edge for every string a request carries: no NUL character (PostgreSQL's
 * text cannot hold it), no lone surrogate (jsonb refuses it, and it is no character), no
 * other control character but tab and line breaks, no text-direction override (which can
 * disguise a name, "Ali\u202Ecod.exe") and no non-character; a body must be UTF-8.
 * Checks the JSON body at any depth (names too), the query and the path before anything
 * else looks at them, and refuses with a 400 VALIDATION that names each field.
 * Percent-encoding that decodes to no UTF-8 (how a lone surrogate arrives in a URL, e.g.
 * %ED%A0%80) is refused too, rather than passed on as literal text. Headers need no check:
 * Node's HTTP parser refuses a NUL in one (400 before the app sees it), and a header's
 * bytes are read as Latin-1, which has no surrogates.
 */
export function rejectUnsafeText(): MiddlewareHandler<AppEnv> {
  return async function rejectUnsafeText(c, next) {
    const problems: FieldProblem[] = [];
    const report = (field: string, message: string) => {
      if (problems.length < maxProblems) problems.push({ field, message });
    };
    checkPath(c, report);
    checkQuery(c.req.url, report);
    const body = await jsonBody(c, report);
    if (body !== undefined) checkJson(body, report);
    if (problems.length) throw ValidationError.of(problems, goalOf(c));
    await next();
  };
}

type Report = (field: string, message: string) => void;

/** The parsed JSON body, or undefined when there is none or it is not JSON (the route says so). */
async function jsonBody(c: Context<AppEnv>, report: Report): Promise<unknown> {
  if (c.req.raw.body === null) return undefined;
  if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) return undefined;
  // Bytes that are no UTF-8 would be read as U+FFFD and stored so: refuse them instead.
  try {
    strictUtf8.decode(await c.req.arrayBuffer());
  } catch {
    report('body', 'is not valid UTF-8 (it holds bytes that encode no character)');
    return undefined;
  }
  try {
    // Hono caches the text, so the route's validator reads the same body again.
    return await c.req.json();
  } catch {
    return undefined;
  }
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function checkPath(c: Context<AppEnv>, report: Report) {
  const url = c.req.url;
  const start = url.indexOf('/', url.indexOf('://') + 3);
  const end = url.search(/[?#]/);
  const raw = start < 0 ? '' : url.slice(start, end < 0 ? undefined : end);
  // A URL holds NUL or a surrogate only percent-encoded (the URL parser encodes the rest).
  if (!raw.includes('%')) return;
  const segments = raw.split('/');
  // Name a segment by the parameter of the route it matched (`id`), when one did.
  const template =
    matchedRoutes(c)
      .map((r) => r.path.split('/'))
      .find((parts) => parts.length === segments.length && parts.some((p) => p.startsWith(':'))) ??
    [];
  segments.forEach((segment, i) => {
    const param = template[i]?.startsWith(':') ? template[i].slice(1).replace(/\{.*$/, '') : null;
    const field = param ?? 'path';
    const decoded = decode(segment);
    if (decoded === null) report(field, encodingMessage);
    else {
      const problem = unsafeTextProblem(decoded);
      if (problem) report(field, problem);
    }
  });
}

function checkQuery(url: string, report: Report) {
  const start = url.indexOf('?');
  if (start < 0) return;
  const hash = url.indexOf('#', start);
  const query = url.slice(start + 1, hash < 0 ? undefined : hash);
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const name = decode(rawName.replace(/\+/g, ' '));
    if (name === null) {
      report('query', `has a parameter name that ${encodingMessage}`);
      continue;
    }
    const nameProblem = unsafeTextProblem(name);
    if (nameProblem) {
      report('query', `has a parameter name that ${nameProblem}`);
      continue;
    }
    const value = decode(rawValue.replace(/\+/g, ' '));
    if (value === null) report(shown(name), encodingMessage);
    else {
      const problem = unsafeTextProblem(value);
      if (problem) report(shown(name), problem);
    }
  }
}

interface JsonNode {
  value: unknown;
  parent: JsonNode | null;
  key: string;
}

/** `documents.0.number`: built only for a field that is reported. */
function pathOf(node: JsonNode): string {
  const keys: string[] = [];
  for (let n: JsonNode | null = node; n?.parent; n = n.parent) keys.push(n.key);
  const path = keys.reverse().join('.');
  return path.length > 200 ? `${path.slice(0, 200)}…` : path || 'body';
}

/** Walks the body without recursion, so no depth of nesting can overflow the stack. */
function checkJson(body: unknown, report: Report) {
  const stack: JsonNode[] = [{ value: body, parent: null, key: '' }];
  while (stack.length) {
    const node = stack.pop() as JsonNode;
    const { value } = node;
    if (typeof value === 'string') {
      const problem = unsafeTextProblem(value);
      if (problem) report(pathOf(node), problem);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], parent: node, key: String(i) });
      }
    } else if (value !== null && typeof value === 'object') {
      const children: JsonNode[] = [];
      for (const [key, child] of Object.entries(value)) {
        const keyProblem = unsafeTextProblem(key);
        if (keyProblem) report(pathOf(node), `has a field name that ${keyProblem}`);
        else children.push({ value: child, parent: node, key: key.slice(0, 100) });
      }
      stack.push(...children.reverse());
    }
  }
}
