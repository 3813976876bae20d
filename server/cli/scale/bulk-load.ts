import type postgres from 'postgres';

/** What was set aside before a bulk load, to be put back after it. */
export interface SetAside {
  indexes: { name: string; definition: string }[];
  foreignKeys: { table: string; name: string; definition: string }[];
}

/**
 * Drops the secondary indexes and foreign keys of `tables` (keeping primary keys), so that
 * COPY writes the heap alone; `restore` rebuilds each index in one sorted pass and checks
 * each foreign key in one join, far quicker than maintaining them row by row.
 */
export async function setAside(sql: postgres.Sql, tables: readonly string[]): Promise<SetAside> {
  const foreignKeys = await sql<{ table: string; name: string; definition: string }[]>`
    select conrelid::regclass::text as table, conname as name,
           pg_get_constraintdef(oid) as definition
    from pg_constraint
    where contype = 'f' and connamespace = 'public'::regnamespace
      and (conrelid::regclass::text = any(${tables as string[]})
           or confrelid::regclass::text = any(${tables as string[]}))`;
  const indexes = await sql<{ name: string; definition: string }[]>`
    select indexname as name, indexdef as definition
    from pg_indexes
    where schemaname = 'public' and tablename = any(${tables as string[]})
      and indexname not in (select conname from pg_constraint where contype in ('p', 'u', 'x'))`;
  for (const fk of foreignKeys) {
    await sql.unsafe(`alter table ${fk.table} drop constraint ${fk.name}`);
  }
  for (const index of indexes) await sql.unsafe(`drop index ${index.name}`);
  return { indexes: [...indexes], foreignKeys: [...foreignKeys] };
}

/** Rebuilds what `setAside` dropped; `onStep` hears each one with its time. */
export async function restore(
  sql: postgres.Sql,
  aside: SetAside,
  onStep: (what: string, ms: number) => void,
): Promise<void> {
  for (const index of aside.indexes) {
    const started = performance.now();
    await sql.unsafe(index.definition);
    onStep(`index ${index.name}`, performance.now() - started);
  }
  for (const fk of aside.foreignKeys) {
    const started = performance.now();
    await sql.unsafe(`alter table ${fk.table} add constraint ${fk.name} ${fk.definition}`);
    onStep(`foreign key ${fk.name}`, performance.now() - started);
  }
}
