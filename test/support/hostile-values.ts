/**
 * Values for fuzzing an API from its OpenAPI document: a valid-shaped value for a schema,
 * and hostile values for each place in it. Deterministic: every choice comes from a seeded
 * generator, so a failing run fails the same way again.
 */

export interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  nullable?: boolean;
}

/** mulberry32: a small seeded generator, so runs repeat exactly. */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = ReturnType<typeof seededRandom>;

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** `count` of `items`, chosen without repeats by the seeded generator, in their order. */
export function sample<T>(random: Random, items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(random() * items.length));
  return [...chosen].sort((a, b) => a - b).map((i) => items[i] as T);
}

export function randomUuid(random: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(random() * 4)] as string;
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A string matching a simple regular expression: literals, escapes (\d \w), classes with
 * ranges, groups with alternatives and quantifiers — all the patterns of this API use.
 */
export function stringMatching(pattern: string, random: Random): string {
  // zod-openapi writes a flagged regex as `source/flags`; the flags do not change a sample.
  const source = pattern.replace(/\$\/[a-z]+$/, '$');
  let i = 0;
  const atom = (): (() => string) => {
    const ch = source[i++] as string;
    if (ch === '\\') {
      const e = source[i++] as string;
      if (e === 'd') return () => String(Math.floor(random() * 10));
      if (e === 'w') return () => pick(random, [...'abcxyz019_']);
      return () => e;
    }
    if (ch === '[') {
      const chars: string[] = [];
      while (source[i] !== ']') {
        let c = source[i++] as string;
        if (c === '\\') c = source[i++] as string;
        if (source[i] === '-' && source[i + 1] !== ']') {
          const to = source[i + 1] as string;
          i += 2;
          for (let code = c.charCodeAt(0); code <= to.charCodeAt(0); code++) {
            chars.push(String.fromCharCode(code));
          }
        } else chars.push(c);
      }
      i++;
      return () => pick(random, chars);
    }
    if (ch === '(') {
      const alternatives = sequence();
      i++; // ')'
      return () => pick(random, alternatives)();
    }
    return () => ch;
  };
  const quantified = (): (() => string) => {
    const a = atom();
    let min = 1;
    let max = 1;
    const q = source[i];
    if (q === '{') {
      const end = source.indexOf('}', i);
      const [lo, hi] = source.slice(i + 1, end).split(',');
      min = Number(lo);
      max = hi === undefined ? min : hi === '' ? min + 3 : Number(hi);
      i = end + 1;
    } else if (q === '?' || q === '*' || q === '+') {
      min = q === '+' ? 1 : 0;
      max = min + 2;
      i++;
    }
    return () => {
      const n = min + Math.floor(random() * (Math.min(max, min + 4) - min + 1));
      return Array.from({ length: n }, a).join('');
    };
  };
  /** Alternatives up to a ')' or the end, each a sequence of quantified atoms. */
  function sequence(): (() => string)[] {
    const alternatives: (() => string)[] = [];
    let parts: (() => string)[] = [];
    while (i < source.length && source[i] !== ')') {
      if (source[i] === '|') {
        alternatives.push(joined(parts));
        parts = [];
        i++;
      } else if (source[i] === '^' || source[i] === '$') i++;
      else parts.push(quantified());
    }
    alternatives.push(joined(parts));
    return alternatives;
  }
  const joined = (parts: (() => string)[]) => () => parts.map((p) => p()).join('');
  return pick(random, sequence())();
}

/** Every kind of text a client should never get a 500 for. */
export const hostileStrings: readonly string[] = [
  '\u0000',
  // Letters then a NUL; not a test person's name, for the request log records paths and the
  // run's log check fails on a test person's name in any log line.
  'Xylo\u0000',
  '\ud800',
  'a\udfffb',
  'x'.repeat(10_000),
  '',
  "Robert'); DROP TABLE people;--",
  '<script>alert(1)</script>',
  '2026-02-30',
  '0000-00-00',
  '99999-01-01',
  '%00%ED%A0%80',
];

export const hostileDates: readonly string[] = [
  '2026-02-30',
  '0000-00-00',
  '99999-01-01',
  '0000-01-01',
  '0001-01-01',
  '1800-01-01',
  '9999-12-31',
  '2026-13-01',
  '2026-1-1',
];

export const hostileDateTimes: readonly string[] = [
  '2026-02-30T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '99999-01-01T00:00:00Z',
  '2026-11-25T25:61:00Z',
  '1970-01-01T00:00:00+14:00',
  '0001-01-01T00:00:00+01:00',
  '9999-12-31T23:59:59-14:00',
];

export const hostileNumbers: readonly unknown[] = [
  -1,
  0,
  1.5,
  2 ** 31,
  2 ** 53 + 2,
  1e308,
  -1e308,
  '1',
  'abc',
];

export const wrongTypes: readonly unknown[] = [null, true, 42, 'text', [], {}, [[[['deep']]]]];

/** The schema a `$ref` names, and the non-null half of a nullable type. */
export function resolve(schema: Schema, components: Record<string, Schema>): Schema {
  let s = schema;
  while (s.$ref) s = components[s.$ref.replace('#/components/schemas/', '')] ?? {};
  if (s.anyOf || s.oneOf) return resolve((s.anyOf ?? s.oneOf ?? [])[0] ?? {}, components);
  return s;
}

export function typeOf(schema: Schema): string | undefined {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  return t ?? (schema.properties ? 'object' : undefined);
}

export interface ValueHints {
  /** A valid value for a property of this name (real ids of the demo), if known. */
  byName(name: string): unknown;
  random: Random;
}

/** A valid-shaped value for `schema`: every property, known names filled with real ids. */
export function validValue(
  schema: Schema,
  components: Record<string, Schema>,
  hints: ValueHints,
  name = '',
): unknown {
  const s = resolve(schema, components);
  const hinted = hints.byName(name);
  if (hinted !== undefined) return hinted;
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  switch (typeOf(s)) {
    case 'object':
      return Object.fromEntries(
        Object.entries(s.properties ?? {}).map(([key, child]) => [
          key,
          validValue(child, components, hints, key),
        ]),
      );
    case 'array':
      return Array.from({ length: Math.max(s.minItems ?? 1, 1) }, () =>
        validValue(s.items ?? {}, components, hints, `${name}[]`),
      );
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 1, 1);
    case 'boolean':
      return true;
    case 'string': {
      if (s.format === 'date') return '2026-12-01';
      if (s.format === 'date-time') return '2026-11-25T09:00:00.000Z';
      if (s.format === 'uuid') return randomUuid(hints.random);
      if (s.format === 'email') return 'fuzz.person@example.org';
      if (s.pattern) return stringMatching(s.pattern, hints.random);
      const text = 'Fuzz Value';
      return text.padEnd(s.minLength ?? 0, 'z').slice(0, s.maxLength ?? text.length);
    }
    default:
      return 'anything';
  }
}

/** Hostile values for one place of type `schema`: wrong in kind, size or content. */
export function hostileFor(schema: Schema, components: Record<string, Schema>): unknown[] {
  const s = resolve(schema, components);
  switch (typeOf(s)) {
    case 'string':
      return [
        ...hostileStrings,
        ...(s.format === 'date' ? hostileDates : []),
        ...(s.format === 'date-time' ? hostileDateTimes : []),
        ...wrongTypes.filter((v) => typeof v !== 'string'),
      ];
    case 'integer':
    case 'number':
      return [...hostileNumbers, null, '\u0000', [1]];
    case 'boolean':
      return ['true', 0, null, '\ud800'];
    case 'array':
      return [null, 'x', {}, [null], ['\u0000'], Array.from({ length: 200 }, () => 'x'), []];
    case 'object':
      return [null, 'x', [], 7];
    default:
      return [null, '\u0000', '\ud800', 'x'.repeat(10_000)];
  }
}

/** One place in a value (`documents.0.number`), with the schema that describes it. */
export interface Place {
  path: (string | number)[];
  schema: Schema;
}

/** Every place in a valid value, objects and arrays as well as leaves. */
export function placesOf(
  value: unknown,
  schema: Schema,
  components: Record<string, Schema>,
  path: (string | number)[] = [],
): Place[] {
  const s = resolve(schema, components);
  const here: Place[] = path.length ? [{ path, schema: s }] : [];
  if (Array.isArray(value)) {
    return [
      ...here,
      ...value.flatMap((v, i) => placesOf(v, s.items ?? {}, components, [...path, i])),
    ];
  }
  if (value !== null && typeof value === 'object') {
    return [
      ...here,
      ...Object.entries(value).flatMap(([k, v]) =>
        placesOf(v, s.properties?.[k] ?? {}, components, [...path, k]),
      ),
    ];
  }
  return here;
}

/** A copy of `value` with the place at `path` replaced (or removed, for `remove`). */
export function withPlace(
  value: unknown,
  path: (string | number)[],
  replacement: unknown,
  remove = false,
): unknown {
  const copy = structuredClone(value);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (remove) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}

/**
 * Percent-encodes text for a URL as a hostile client would: a lone surrogate becomes its
 * three WTF-8 bytes (%ED%A0%80), which are no UTF-8, where encodeURIComponent would throw.
 */
export function encodeForUrl(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(text[i] as string);
  }
  return out;
}
