import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { apiTypesFile, apiTypesSource, servedDocument } from '../../scripts/api-types.ts';

/**
 * The web app's API types are generated from the document the server serves. When a schema
 * changes, this test fails until `npm run api:types` regenerates them, and then `tsc` (run
 * by `npm test` too) fails wherever a page still reads the old shape.
 */
describe('the web app API types', () => {
  it('are those of the served OpenAPI document', async () => {
    const expected = await apiTypesSource(await servedDocument());
    const committed = await readFile(apiTypesFile, 'utf8');
    expect(
      committed === expected,
      'web/src/api/openapi.d.ts is out of date: run `npm run api:types`, then fix what `tsc` reports',
    ).toBe(true);
  });

  it('change when a response schema changes', async () => {
    const doc = (await servedDocument()) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const person = doc.components.schemas.PersonSummary;
    expect(person?.properties).toHaveProperty('familyName');
    const before = await apiTypesSource(doc);
    delete person?.properties.familyName;
    const after = await apiTypesSource(doc);
    expect(before).toMatch(/PersonSummary: \{[^}]*familyName: string;/s);
    expect(after).not.toBe(before);
  });
});
