/**
 * The clinical systems' names as people write them (DOMAIN.md), by the code the database
 * keeps: what the pages, the emails and the report downloads all show.
 */
export const systemLabels: Record<string, string> = {
  systmone: 'SystmOne',
  ers: 'e-RS',
  pacs: 'PACS',
  sus: 'SUS',
  esr: 'ESR',
};

/** A system's name, or its code when it has none here. */
export const systemLabel = (system: string) => systemLabels[system] ?? system;
