import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every TypeScript source file under a folder, tests included. */
function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mts)$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** What a file imports: relative paths resolved from the repository's root, packages as named. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g),
  ]
    .concat([...text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)])
    .map((m) => m[1] ?? '');
  return specifiers.map((s) =>
    s.startsWith('.') ? relative(root, resolve(dirname(join(root, file)), s)) : s,
  );
}

/** The imports of a folder's files that break a rule, as "file → import". */
function breaches(folder: string, forbidden: (specifier: string) => boolean): string[] {
  return sources(folder).flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((s) => `${file} → ${s}`),
  );
}

/** The boundaries the README's architecture section draws, checked on every run. */
describe('module boundaries', () => {
  it('db imports nothing of ours', () => {
    const ours = /^(server|web|reader|pki|test|scripts)\//;
    expect(breaches('db', (s) => ours.test(s))).toEqual([]);
  });

  it('services never import Hono', () => {
    expect(breaches('server/services', (s) => /^(hono|@hono\/)/.test(s))).toEqual([]);
  });

  it('the reader never imports the server', () => {
    expect(breaches('reader', (s) => s.startsWith('server/'))).toEqual([]);
  });

  it('the web app imports nothing of the server or the database: its API types are generated', () => {
    expect(breaches('web/src', (s) => /^(server|db)\//.test(s))).toEqual([]);
  });

  it('pki imports nothing of ours', () => {
    expect(breaches('pki', (s) => /^(server|web|reader|db)\//.test(s))).toEqual([]);
  });

  it('vocabulary imports nothing of ours: the server and the web app both read it', () => {
    expect(breaches('vocabulary', (s) => /^(server|web|reader|db|pki)\//.test(s))).toEqual([]);
  });

  it('finds a breach when there is one', () => {
    // The check's own check: the page tests do import the server (to seed their data).
    expect(breaches('test/e2e', (s) => s.startsWith('server/')).length).toBeGreaterThan(0);
  });
});
