/**
 * The store's four DynamoDB operations on plain JavaScript items, sent on the low-level
 * client: `GetItem`, `PutItem`, `Query` and `UpdateItem` each take the document form of
 * their input (the shapes of `@aws-sdk/lib-dynamodb`'s commands), marshal it with
 * `@aws-sdk/util-dynamodb` (the marshaller lib-dynamodb uses), and give the document form
 * of the output.
 *
 * Why not lib-dynamodb's `DynamoDBDocumentClient`: the SDK resolves a command's middleware
 * stack on every `send` (the client's and the command's stacks concatenated, sorted and
 * chained) unless the client sets `cacheMiddleware`, and lib-dynamodb refuses that option
 * (its handler keeps the first command it was resolved for). Resolved on every send, a
 * PutItem cost about 155 µs more main-thread CPU than on a client that caches its handlers
 * (the same conditional order PutItem against the embedded store, calls interleaved, 10
 * rounds of 300), and every middleware on the client cost each call more: the telemetry's
 * two cost a POST /orders in the service about 55 µs (docs/performance.md, "Where the cost
 * goes"). With `cacheMiddleware` (dynamo-client.ts) a command class's handler is resolved
 * once. Marshalling is the same `removeUndefinedValues` marshalling the store had.
 */
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type {
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

type Item = Record<string, unknown>;
type Marshalled = Record<string, AttributeValue>;

const OPTIONS = { removeUndefinedValues: true } as const;
const toItem = (item: Item): Marshalled => marshall(item, OPTIONS);
const fromItem = (item: Marshalled | undefined): Item | undefined => (item ? unmarshall(item) : undefined);

/** `fields` marshalled where given; a field not given stays out of the input. */
function marshalled<T extends object>(input: T, fields: readonly (keyof T)[]): T {
  const out = { ...input } as Record<string, unknown>;
  for (const field of fields) {
    const value = input[field] as Item | undefined;
    if (value === undefined) delete out[field as string];
    else out[field as string] = toItem(value);
  }
  return out as T;
}

/** One operation on documents: its low-level command, and its output as documents. */
interface DocumentOperation<Out> {
  command(): GetItemCommand | PutItemCommand | QueryCommand | UpdateItemCommand;
  output(out: unknown): Out;
}

export class GetItem implements DocumentOperation<GetCommandOutput> {
  constructor(readonly input: GetCommandInput) {}
  command(): GetItemCommand {
    return new GetItemCommand(marshalled(this.input, ['Key']) as unknown as GetItemCommand['input']);
  }
  output(out: { Item?: Marshalled } & Omit<GetCommandOutput, 'Item'>): GetCommandOutput {
    return { ...out, Item: fromItem(out.Item) };
  }
}

export class PutItem implements DocumentOperation<PutCommandOutput> {
  constructor(readonly input: PutCommandInput) {}
  command(): PutItemCommand {
    return new PutItemCommand(
      marshalled(this.input, ['Item', 'ExpressionAttributeValues']) as unknown as PutItemCommand['input'],
    );
  }
  output(out: { Attributes?: Marshalled } & Omit<PutCommandOutput, 'Attributes'>): PutCommandOutput {
    return { ...out, Attributes: fromItem(out.Attributes) };
  }
}

export class Query implements DocumentOperation<QueryCommandOutput> {
  constructor(readonly input: QueryCommandInput) {}
  command(): QueryCommand {
    return new QueryCommand(
      marshalled(this.input, ['ExclusiveStartKey', 'ExpressionAttributeValues']) as unknown as QueryCommand['input'],
    );
  }
  output(
    out: { Items?: Marshalled[]; LastEvaluatedKey?: Marshalled } & Omit<
      QueryCommandOutput,
      'Items' | 'LastEvaluatedKey'
    >,
  ): QueryCommandOutput {
    return {
      ...out,
      Items: out.Items?.map((item) => unmarshall(item)),
      LastEvaluatedKey: fromItem(out.LastEvaluatedKey),
    };
  }
}

export class UpdateItem implements DocumentOperation<UpdateCommandOutput> {
  constructor(readonly input: UpdateCommandInput) {}
  command(): UpdateItemCommand {
    return new UpdateItemCommand(
      marshalled(this.input, ['Key', 'ExpressionAttributeValues']) as unknown as UpdateItemCommand['input'],
    );
  }
  output(out: { Attributes?: Marshalled } & Omit<UpdateCommandOutput, 'Attributes'>): UpdateCommandOutput {
    return { ...out, Attributes: fromItem(out.Attributes) };
  }
}

/** Sends a document operation on `client`; the output's items are documents. */
export interface Send {
  (operation: GetItem): Promise<GetCommandOutput>;
  (operation: PutItem): Promise<PutCommandOutput>;
  (operation: Query): Promise<QueryCommandOutput>;
  (operation: UpdateItem): Promise<UpdateCommandOutput>;
}

/**
 * `send` for `client`, each operation's command made and sent within the call (so a
 * middleware that reads the caller's scope synchronously sees it; see call-scope.ts).
 * No options go to `client.send`: a send with options resolves the middleware again.
 */
export function documentSend(client: DynamoDBClient): Send {
  return (async (operation: DocumentOperation<unknown>) => {
    const out = await client.send(operation.command() as GetItemCommand);
    return operation.output(out);
  }) as Send;
}
