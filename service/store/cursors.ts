/** Opaque page cursors: base64url JSON. A cursor that does not decode is the client's fault (400). */
import { ValidationError } from '../errors.ts';
import { STATUS_SHARDS } from './table-schema.ts';

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isValid(value)) return value;
  } catch {
    // fall through
  }
  throw new ValidationError([{ field: 'cursor', message: 'is not a cursor this service issued' }]);
}

/** A customer's history: the sort key last handed out. */
export type UserCursor = { k: string };
export const isUserCursor = (v: unknown): v is UserCursor =>
  typeof v === 'object' && v !== null && typeof (v as UserCursor).k === 'string' && (v as UserCursor).k.length < 200;

/** Per shard: the sort key last handed out, or null when the shard is exhausted. */
export type StatusCursor = { s: (string | null | 0)[] };
export const isStatusCursor = (v: unknown): v is StatusCursor =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as StatusCursor).s) &&
  (v as StatusCursor).s.length === STATUS_SHARDS &&
  (v as StatusCursor).s.every((x) => x === null || x === 0 || (typeof x === 'string' && x.length < 200));
