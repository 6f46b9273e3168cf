/**
 * Brings an on-disk embedded store's secondary indexes back in line with its items, before
 * dynalite opens it.
 *
 * dynalite writes an item's index entries first and the item after, as separate LevelDB
 * writes (`actions/putItem.js`, `updateItem.js`, `deleteItem.js`), so a process killed
 * between them leaves index entries that no item backs, or that describe an item's older
 * state: an order listed twice, or under a status it no longer has. The DynamoDB API cannot
 * delete an index entry, so the repair works below it, on dynalite's LevelDB layout
 * (`db/index.js`), and with dynalite's own key functions:
 * - `table~<table>`: the table's description;
 * - `item-<table>~<key>`: an item;
 * - `index-global~<table>~<index>~<indexKey>` (and `index-local~`): an index entry.
 * Each index is recomputed from the items and the differences are written in one batch,
 * which LevelDB applies atomically, so a kill during the repair leaves it to do again.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

/** What the repair changed in one index. */
export interface IndexRepair {
  table: string;
  index: string;
  /** Entries that no item backs, or that an item no longer matches. */
  removed: number;
  /** Entries an item needs that were missing or stale. */
  written: number;
}

type Item = Record<string, unknown>;
interface IndexDescription {
  IndexName: string;
}
interface TableDescription {
  TableName: string;
  GlobalSecondaryIndexes?: IndexDescription[];
  LocalSecondaryIndexes?: IndexDescription[];
}
interface DynaliteDb {
  getIndexActions(
    indexes: IndexDescription[],
    existing: Item | undefined,
    item: Item,
    table: TableDescription,
  ): { puts: { key: string; item: Item }[] };
}
type BatchOp = { type: 'put'; key: string; value: Item } | { type: 'del'; key: string };
interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
  iterator(range: { gte: string; lt: string }): AsyncIterable<[string, Item]>;
  get(key: string): Promise<Item>;
  batch(ops: BatchOp[]): Promise<void>;
}

const requireHere = createRequire(import.meta.url);
/** dynalite's own modules (its key layout) and its LevelDB binding. */
function dynaliteModules(): {
  db: DynaliteDb;
  Level: new (path: string, options: { valueEncoding: 'json' }) => LevelDb;
} {
  const fromDynalite = createRequire(requireHere.resolve('dynalite'));
  return { db: fromDynalite('./db/index.js') as DynaliteDb, Level: (fromDynalite('level') as { Level: never }).Level };
}

/** Every key/value under `prefix`, its prefix removed. */
async function* under(level: LevelDb, prefix: string): AsyncGenerator<[string, Item]> {
  for await (const [key, value] of level.iterator({ gte: prefix, lt: `${prefix}\xff` }))
    yield [key.slice(prefix.length), value];
}

/** An index entry as the items make it: a digest of its content, and the item's key to rebuild it from. */
interface Expected {
  digest: string;
  itemKey: string;
}

const digest = (entry: Item) => createHash('sha1').update(JSON.stringify(entry)).digest('base64');

/**
 * One table's indexes as its items make them, in one pass over the items: per index, index
 * key -> the entry's digest (digests, not entries, so a large store is not held in memory).
 */
async function expectedEntries(
  level: LevelDb,
  db: DynaliteDb,
  table: TableDescription,
  indexes: readonly IndexDescription[],
): Promise<Map<string, Map<string, Expected>>> {
  const expected = new Map(indexes.map((index) => [index.IndexName, new Map<string, Expected>()]));
  for await (const [itemKey, item] of under(level, `item-${table.TableName}~`)) {
    for (const index of indexes) {
      const entries = expected.get(index.IndexName)!;
      for (const put of db.getIndexActions([index], undefined, item, table).puts)
        entries.set(put.key, { digest: digest(put.item), itemKey });
    }
  }
  return expected;
}

/** Adds to `ops` what makes one index equal to `expected`, and answers how much that is. */
async function repairIndex(
  level: LevelDb,
  db: DynaliteDb,
  table: TableDescription,
  index: IndexDescription,
  prefix: string,
  expected: Map<string, Expected>,
  ops: BatchOp[],
): Promise<IndexRepair> {
  const repair: IndexRepair = { table: table.TableName, index: index.IndexName, removed: 0, written: 0 };
  for await (const [key, entry] of under(level, prefix)) {
    const wanted = expected.get(key);
    if (wanted?.digest === digest(entry)) {
      expected.delete(key);
    } else if (wanted === undefined) {
      ops.push({ type: 'del', key: prefix + key });
      repair.removed += 1;
    }
  }
  // What is left is missing or stale: rebuilt from its item (few, after a kill).
  for (const [key, { itemKey }] of expected) {
    const item = await level.get(`item-${table.TableName}~${itemKey}`);
    const put = db.getIndexActions([index], undefined, item, table).puts.find((p) => p.key === key);
    if (!put) continue;
    ops.push({ type: 'put', key: prefix + key, value: put.item });
    repair.written += 1;
  }
  return repair;
}

/** Every index of a table, with the prefix of its entries. */
function indexesOf(table: TableDescription): { index: IndexDescription; prefix: string }[] {
  const kinds = [
    ['global', table.GlobalSecondaryIndexes ?? []],
    ['local', table.LocalSecondaryIndexes ?? []],
  ] as const;
  return kinds.flatMap(([kind, indexes]) =>
    indexes.map((index) => ({ index, prefix: `index-${kind}~${table.TableName}~${index.IndexName}~` })),
  );
}

/**
 * Repairs every index of every table in the LevelDB store at `dataDir` against the items,
 * and answers what it changed (nothing after a clean stop). The store must not be open.
 */
export async function repairIndexes(dataDir: string): Promise<IndexRepair[]> {
  const { db, Level } = dynaliteModules();
  const level = new Level(dataDir, { valueEncoding: 'json' });
  await level.open();
  try {
    const repairs: IndexRepair[] = [];
    const ops: BatchOp[] = [];
    for await (const [, value] of under(level, 'table~')) {
      const table = value as unknown as TableDescription;
      const indexes = indexesOf(table);
      if (indexes.length === 0) continue;
      const expected = await expectedEntries(
        level,
        db,
        table,
        indexes.map((i) => i.index),
      );
      for (const { index, prefix } of indexes)
        repairs.push(await repairIndex(level, db, table, index, prefix, expected.get(index.IndexName)!, ops));
    }
    if (ops.length > 0) await level.batch(ops);
    return repairs.filter((r) => r.removed > 0 || r.written > 0);
  } finally {
    await level.close();
  }
}
