/**
 * The DynamoDB table design, shared by the store, the embedded table creation and the CDK
 * app (so the deployed table and the code agree by construction). Imports nothing.
 *
 * One table, keys `pk`/`sk` (strings):
 * - product:     pk `MENU`              sk `PRODUCT#<productId>`  (the menu is one Query)
 * - user:        pk `USER#<userId>`     sk `PROFILE`
 * - order:       pk `ORDER#<orderId>`   sk `ORDER`
 *
 * GSIs (projection ALL, so a listing is one Query and never a second read per item):
 * - `byUser`:   gsi1pk `USER#<userId>`, gsi1sk `<createdAt>#<orderId>` (newest first)
 * - `byStatus`: gsi2pk `STATUS#<status>#<shard>`, gsi2sk `<createdAt>#<orderId>`; the
 *   shard (0..STATUS_SHARDS-1) is a hash of the order id, so one status is spread over
 *   several partitions, and a queue read fans out over all shards and merges.
 */
export const DEFAULT_TABLE_NAME = 'coffee-cloud';

export const KeyAttributes = {
  Partition: 'pk',
  Sort: 'sk',
} as const;

export const Indexes = {
  ByUser: { name: 'byUser', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
  ByStatus: { name: 'byStatus', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'ALL' },
} as const;

/** Number of shards of the status index. Changing it needs a backfill of gsi2pk. */
export const STATUS_SHARDS = 4;

/**
 * Every DynamoDB action the service calls, on which resource. The CDK app grants exactly
 * these (least privilege); a test checks the store uses nothing else.
 */
export const DYNAMODB_ACCESS = {
  table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
  indexes: ['dynamodb:Query'],
} as const;
