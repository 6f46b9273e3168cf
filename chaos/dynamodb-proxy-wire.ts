/**
 * DynamoDB's side of the wire, as the fault proxy reads and writes it: what a request names
 * (operation, tables, index, the SDK's attempt) and the exact error answers DynamoDB sends.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { DynamoDbErrors, type DynamoDbErrorName } from './fault-catalog.ts';

const TARGET_PREFIX = 'DynamoDB_20120810.';
const REQUEST_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A DynamoDB-style request id: 52 characters of A-Z and 0-9. */
function requestId(): string {
  const bytes = randomBytes(52);
  let id = '';
  for (const byte of bytes) id += REQUEST_ID_ALPHABET[byte % REQUEST_ID_ALPHABET.length];
  return id;
}

/** The exact body DynamoDB sends for an error: `{"__type":"...","message":"..."}`. */
export function dynamoDbErrorBody(name: DynamoDbErrorName, message?: string): string {
  const error = DynamoDbErrors[name];
  return JSON.stringify({ __type: error.type, message: message ?? error.message });
}

/**
 * The status, headers and body DynamoDB answers an error with. `x-amz-crc32` is the CRC32
 * of the body bytes (SDKs that check it reject a response whose checksum is wrong).
 */
export function dynamoDbErrorResponse(name: DynamoDbErrorName, message?: string) {
  const body = dynamoDbErrorBody(name, message);
  const bytes = Buffer.from(body, 'utf8');
  return {
    status: DynamoDbErrors[name].status,
    headers: {
      'x-amzn-RequestId': requestId(),
      'x-amz-crc32': String(crc32(bytes) >>> 0),
      'Content-Type': 'application/x-amz-json-1.0',
      'Content-Length': String(bytes.length),
    },
    body: bytes,
  };
}

/** What a fault rule can match a request by. */
export interface ParsedRequest {
  operation: string;
  tables: string[];
  index?: string;
}

/** Reads the operation from `X-Amz-Target` and the tables and index from the JSON body. */
export function parseRequest(target: string | undefined, body: Buffer): ParsedRequest {
  const operation = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : (target ?? '');
  let tables: string[] = [];
  let index: string | undefined;
  try {
    const json = JSON.parse(body.toString('utf8')) as {
      TableName?: unknown;
      IndexName?: unknown;
      RequestItems?: unknown;
    };
    if (typeof json.TableName === 'string') tables = [json.TableName];
    else if (json.RequestItems && typeof json.RequestItems === 'object') tables = Object.keys(json.RequestItems);
    if (typeof json.IndexName === 'string') index = json.IndexName;
  } catch {
    // Not JSON: only the operation can match.
  }
  return index === undefined ? { operation, tables } : { operation, tables, index };
}

/** From the SDK's `amz-sdk-request: attempt=N; max=M`. */
export function parseAttemptHeader(value: string | undefined): { attempt?: number; maxAttempts?: number } {
  const attempt = /attempt=(\d+)/.exec(value ?? '')?.[1];
  const max = /max=(\d+)/.exec(value ?? '')?.[1];
  return {
    ...(attempt ? { attempt: Number(attempt) } : {}),
    ...(max ? { maxAttempts: Number(max) } : {}),
  };
}
