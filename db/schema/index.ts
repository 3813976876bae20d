export * from './access.ts';
export * from './accounts.ts';
export * from './audit.ts';
export * from './cards.ts';
export * from './organisations.ts';
export * from './people.ts';
export * from './pki.ts';
export * from './workstations.ts';
