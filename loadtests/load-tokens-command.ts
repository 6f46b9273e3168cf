/**
 * The implementation of `coffee load-tokens` (imported lazily by cli.ts): mints the
 * `coffee load --tokens` file from the deployed stack's Cognito user pool.
 *
 * Each synthetic user is created once (AdminCreateUser, no invitation e-mail) and reused by
 * later runs. Every run gives every user a fresh random password that lives only in this
 * process's memory, signs in with ADMIN_USER_PASSWORD_AUTH and keeps the access token (the
 * service accepts its `client_id` as the audience and reads the role from `cognito:groups`).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  AuthFlowType,
  CognitoIdentityProviderClient,
  MessageActionType,
} from '@aws-sdk/client-cognito-identity-provider';
import { explainAwsError, UsageError } from '../cli/index.ts';
import { Roles } from '../service/catalog/index.ts';
import { parseTokenPool } from './shared/tokens.ts';

export interface LoadTokensOptions {
  userPoolId?: string;
  clientId?: string;
  /** Default: the region in the user pool id (`eu-west-1_AbC123` lives in eu-west-1). */
  region?: string;
  customers: number;
  baristas: number;
  prefix: string;
  domain: string;
  out: string;
  /** Delete the users of this prefix and count instead of minting. */
  delete?: boolean;
}

export interface LoadTokensIo {
  /** Results (stdout). */
  out(line: string): void;
  /** Progress and problems (stderr). */
  err(line: string): void;
  /** On a terminal: rewrite the progress line in place. Without it, a line every few users. */
  rewrite?(line: string): void;
}

/** Makes the Cognito client for a region (tests pass one that aws-sdk-client-mock stubs). */
export type CognitoClientFactory = (region: string) => CognitoIdentityProviderClient;

/**
 * The real client. Credentials come from the standard chain; the adaptive retry mode backs
 * off on Cognito's throttling (its admin APIs have low per-pool quotas) and slows the
 * client down instead of failing.
 */
export const cognitoClient: CognitoClientFactory = (region) =>
  new CognitoIdentityProviderClient({ region, maxAttempts: 8, retryMode: 'adaptive' });

/** Users minted or deleted at once: Cognito's admin APIs allow a few tens of calls a second per pool. */
const CONCURRENCY = 4;
/** Off a terminal, a progress line every this many users. */
const PLAIN_PROGRESS_EVERY = 5;
const PASSWORD_LENGTH = 32;
/**
 * Every class the pool's policy requires (12+ characters with lower, upper, digit, symbol); the
 * symbols are Cognito's.
 */
const PASSWORD_CLASSES = [
  'abcdefghijklmnopqrstuvwxyz',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  '0123456789',
  '!#%*+-.=?@^_~',
] as const;

type UserKind = 'customer' | 'barista';

interface SyntheticUser {
  readonly kind: UserKind;
  readonly username: string;
}

/** Where the calls go: the message of every AWS failure names them. */
interface CognitoTarget {
  readonly userPoolId: string;
  readonly clientId?: string;
  readonly region: string;
}

/** The token file's shape; `parseTokenPool` reads `customers` and `baristas` and ignores the rest. */
export interface MintedTokensFile {
  readonly customers: readonly { readonly token: string; readonly username: string }[];
  readonly baristas: readonly { readonly token: string; readonly username: string }[];
  readonly userPoolId: string;
  readonly clientId: string;
  /** When the first of the tokens expires (ISO 8601). */
  readonly expiresAt: string;
}

/** A random password with a character of every class, from `crypto` (never printed or written). */
export function randomPassword(length = PASSWORD_LENGTH): string {
  const all = PASSWORD_CLASSES.join('');
  const chars = PASSWORD_CLASSES.map((set) => set[randomInt(set.length)] as string);
  while (chars.length < length) chars.push(all[randomInt(all.length)] as string);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}

/** `<prefix>-customer-1@<domain>` ... then `<prefix>-barista-1@<domain>` ... */
export function syntheticUsers({
  prefix,
  domain,
  customers,
  baristas,
}: Pick<LoadTokensOptions, 'prefix' | 'domain' | 'customers' | 'baristas'>): SyntheticUser[] {
  const users = (kind: UserKind, count: number) =>
    Array.from({ length: count }, (_, i) => ({ kind, username: `${prefix}-${kind}-${i + 1}@${domain}` }));
  return [...users('customer', customers), ...users('barista', baristas)];
}

function validate(options: LoadTokensOptions): CognitoTarget {
  const { userPoolId, clientId } = options;
  if (!userPoolId)
    throw new UsageError('--user-pool-id is required (the UserPoolId output of the CoffeeService stack)');
  const poolMatch = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9a-zA-Z]+$/.exec(userPoolId);
  if (!poolMatch) throw new UsageError(`--user-pool-id must look like eu-west-1_AbC123xyz, got "${userPoolId}"`);
  if (!options.delete && !clientId)
    throw new UsageError(
      '--client-id is required to sign the users in (the UserPoolClientId output of the CoffeeService stack)',
    );
  if (clientId !== undefined && !/^[\w+]{1,128}$/.test(clientId))
    throw new UsageError(`--client-id must be an app client id (letters and digits), got "${clientId}"`);
  if (options.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(options.region))
    throw new UsageError(`--region "${options.region}" is not an AWS region name`);
  // The users' names are e-mail addresses (the pool signs in by e-mail).
  if (!/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/i.test(options.prefix)) {
    throw new UsageError(
      `--prefix may only contain letters, digits and inner "-" (at most 40), got "${options.prefix}"`,
    );
  }
  if (!/^(?=.{1,200}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(options.domain)) {
    throw new UsageError(`--domain must be a domain name such as load.example.com, got "${options.domain}"`);
  }
  const region = options.region ?? (poolMatch[1] as string);
  return clientId ? { userPoolId, clientId, region } : { userPoolId, region };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/**
 * The one-line `UsageError` for an AWS failure, naming the pool, the client and what to check; other
 * errors as they are.
 */
export function explainCognitoError(
  error: unknown,
  operation: string,
  { userPoolId, clientId, region }: CognitoTarget,
): unknown {
  const known = explainAwsError(error, {
    operation: `${operation} on user pool ${userPoolId}`,
    region,
    service: 'Cognito',
  });
  if (known) return known;
  if (!(error instanceof Error) || !('$metadata' in error)) return error;
  const said = `${error.name}: ${firstLine(error.message)}`;
  const client = `app client ${clientId ?? '?'} of user pool ${userPoolId}`;
  switch (error.name) {
    case 'ResourceNotFoundException':
      if (operation === 'AdminAddUserToGroup') {
        return new UsageError(
          `user pool ${userPoolId} has no "${Roles.Barista}" group (${said}): the CoffeeService stack creates it; check --user-pool-id`,
        );
      }
      if (operation === 'AdminInitiateAuth') {
        return new UsageError(
          `${client} in ${region} not found (${said}): check --client-id (the UserPoolClientId output of the CoffeeService stack)`,
        );
      }
      return new UsageError(
        `user pool ${userPoolId} not found in ${region} (${said}): check --user-pool-id and --region (the UserPoolId output of the CoffeeService stack)`,
      );
    case 'InvalidParameterException':
      if (operation === 'AdminInitiateAuth' && /auth flow/i.test(error.message)) {
        return new UsageError(
          `${client} does not allow ADMIN_USER_PASSWORD_AUTH (${said}): enable that auth flow on the client (ALLOW_ADMIN_USER_PASSWORD_AUTH; the CoffeeService stack's client has it)`,
        );
      }
      return new UsageError(
        `${operation} on user pool ${userPoolId} rejected a parameter (${said}): check the pool's attributes and --prefix/--domain`,
      );
    case 'NotAuthorizedException':
      if (operation === 'AdminInitiateAuth') {
        return new UsageError(
          `${client} refused the sign-in (${said}): check that the client has no secret and allows ADMIN_USER_PASSWORD_AUTH, and that the users are enabled`,
        );
      }
      return new UsageError(`${operation} on user pool ${userPoolId} was refused (${said})`);
    case 'InvalidPasswordException':
      return new UsageError(
        `user pool ${userPoolId} rejected a ${PASSWORD_LENGTH}-character random password (${said}): its password policy is stricter than the CoffeeService stack's`,
      );
    case 'TooManyRequestsException':
    case 'LimitExceededException':
      return new UsageError(
        `Cognito kept throttling ${operation} on user pool ${userPoolId} after retries (${said}): wait a minute and run again, or mint fewer users`,
      );
    default:
      return new UsageError(`${operation} on user pool ${userPoolId} in ${region} failed (${said})`);
  }
}

async function cognitoCall<T>(operation: string, target: CognitoTarget, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explainCognitoError(error, operation, target);
  }
}

/**
 * Runs `work` on every item, at most `limit` at once, and answers the results in the items'
 * order. The first failure stops new work; it is thrown when the calls under way have ended.
 */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** `minted 12/22` on stderr: in place on a terminal, else every few users and at the end. */
function progress(io: LoadTokensIo, verb: string, total: number): { step(): void; end(): void } {
  let done = 0;
  let pending = false;
  return {
    step() {
      done += 1;
      const line = `${verb} ${done}/${total}`;
      if (io.rewrite) {
        io.rewrite(line);
        pending = true;
      } else if (done % PLAIN_PROGRESS_EVERY === 0 || done === total) {
        io.err(line);
      }
    },
    end() {
      // Close the line rewritten in place, so what follows starts on its own line.
      if (pending) io.err('');
      pending = false;
    },
  };
}

interface Minted {
  readonly token: string;
  readonly expiresAtMs: number;
  readonly created: boolean;
}

async function mintOne(
  client: CognitoIdentityProviderClient,
  target: CognitoTarget & { clientId: string },
  user: SyntheticUser,
): Promise<Minted> {
  const { userPoolId, clientId } = target;
  const Username = user.username;
  const password = randomPassword();
  let created = true;
  await cognitoCall('AdminCreateUser', target, async () => {
    try {
      await client.send(
        new AdminCreateUserCommand({
          UserPoolId: userPoolId,
          Username,
          MessageAction: MessageActionType.SUPPRESS,
          UserAttributes: [
            { Name: 'email', Value: Username },
            { Name: 'email_verified', Value: 'true' },
          ],
        }),
      );
    } catch (error) {
      // A user of an earlier run: reused, with a new password.
      if ((error as Error).name !== 'UsernameExistsException') throw error;
      created = false;
    }
  });
  await cognitoCall('AdminSetUserPassword', target, () =>
    client.send(
      new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username, Password: password, Permanent: true }),
    ),
  );
  if (user.kind === 'barista') {
    await cognitoCall('AdminAddUserToGroup', target, () =>
      client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username, GroupName: Roles.Barista })),
    );
  }
  const answer = await cognitoCall('AdminInitiateAuth', target, () =>
    client.send(
      new AdminInitiateAuthCommand({
        UserPoolId: userPoolId,
        ClientId: clientId,
        AuthFlow: AuthFlowType.ADMIN_USER_PASSWORD_AUTH,
        AuthParameters: { USERNAME: Username, PASSWORD: password },
      }),
    ),
  );
  const token = answer.AuthenticationResult?.AccessToken;
  if (!token) {
    throw new UsageError(
      `app client ${clientId} of user pool ${userPoolId} answered the sign-in of ${Username} with the challenge ${answer.ChallengeName ?? '(none)'} instead of tokens: load users need MFA off and no other challenge`,
    );
  }
  // Cognito's access tokens live 1 hour unless the client says otherwise.
  const expiresInS = answer.AuthenticationResult?.ExpiresIn ?? 3600;
  return { token, expiresAtMs: Date.now() + expiresInS * 1000, created };
}

/** Writes through a temporary file and a rename, so the file is 0600 even when one was there before. */
async function writePrivateFile(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new UsageError(`--out ${file}: ${(error as Error).message}`);
  }
}

async function checkOut(file: string): Promise<void> {
  const found = await stat(file).catch(() => undefined);
  if (found?.isDirectory())
    throw new UsageError(`--out ${file} is a directory; give a file name such as ${path.join(file, 'tokens.json')}`);
}

async function mint(
  options: LoadTokensOptions,
  io: LoadTokensIo,
  client: CognitoIdentityProviderClient,
  target: CognitoTarget & { clientId: string },
): Promise<void> {
  await checkOut(options.out);
  const users = syntheticUsers(options);
  io.err(
    `minting ${options.customers} customer and ${options.baristas} barista tokens from user pool ${target.userPoolId} (${target.region}), ` +
      `app client ${target.clientId}, ${CONCURRENCY} users at a time`,
  );
  const bar = progress(io, 'minted', users.length);
  let minted: Minted[];
  try {
    minted = await mapLimited(users, CONCURRENCY, async (user) => {
      const result = await mintOne(client, target, user);
      bar.step();
      return result;
    });
  } finally {
    bar.end();
  }
  const entries = users.map((user, i) => ({
    kind: user.kind,
    entry: { token: (minted[i] as Minted).token, username: user.username },
  }));
  const expiresAt = new Date(Math.min(...minted.map((m) => m.expiresAtMs)));
  const file: MintedTokensFile = {
    customers: entries.filter((e) => e.kind === 'customer').map((e) => e.entry),
    baristas: entries.filter((e) => e.kind === 'barista').map((e) => e.entry),
    userPoolId: target.userPoolId,
    clientId: target.clientId,
    expiresAt: expiresAt.toISOString(),
  };
  const text = `${JSON.stringify(file, null, 2)}\n`;
  // What `coffee load --tokens` will read: a token it would refuse stops here, not mid-run.
  try {
    parseTokenPool(text, 'the minted tokens');
  } catch (error) {
    throw new UsageError(
      `user pool ${target.userPoolId} answered an access token coffee load cannot use: ${(error as Error).message}`,
    );
  }
  await writePrivateFile(options.out, text);
  const created = minted.filter((m) => m.created).length;
  io.out(`user pool ${target.userPoolId}: created ${created} users, reused ${minted.length - created}`);
  io.out(
    `wrote ${file.customers.length} customer and ${file.baristas.length} barista tokens to ${options.out} (mode 0600); ` +
      `they expire at ${file.expiresAt} (in ${Math.round((expiresAt.getTime() - Date.now()) / 60_000)} min)`,
  );
}

async function deleteUsers(
  options: LoadTokensOptions,
  io: LoadTokensIo,
  client: CognitoIdentityProviderClient,
  target: CognitoTarget,
): Promise<void> {
  const users = syntheticUsers(options);
  io.err(
    `deleting ${users.length} users ${options.prefix}-customer-* and ${options.prefix}-barista-* from user pool ${target.userPoolId} (${target.region})`,
  );
  const bar = progress(io, 'deleted', users.length);
  let found: boolean[];
  try {
    found = await mapLimited(users, CONCURRENCY, async ({ username }) => {
      const existed = await cognitoCall('AdminDeleteUser', target, async () => {
        try {
          await client.send(new AdminDeleteUserCommand({ UserPoolId: target.userPoolId, Username: username }));
          return true;
        } catch (error) {
          if ((error as Error).name === 'UserNotFoundException') return false;
          throw error;
        }
      });
      bar.step();
      return existed;
    });
  } finally {
    bar.end();
  }
  const deleted = found.filter(Boolean).length;
  io.out(`user pool ${target.userPoolId}: deleted ${deleted} users, ${users.length - deleted} not found`);
}

/**
 * `coffee load-tokens`: mints the tokens file (or, with `delete`, removes the users).
 * Usage mistakes and AWS failures throw a one-line `UsageError` (exit code 2); no token or
 * password is ever printed.
 */
export async function loadTokensCommand(
  options: LoadTokensOptions,
  io: LoadTokensIo,
  clientFactory: CognitoClientFactory = cognitoClient,
): Promise<void> {
  const target = validate(options);
  const client = clientFactory(target.region);
  try {
    if (options.delete) await deleteUsers(options, io, client, target);
    else await mint(options, io, client, { ...target, clientId: target.clientId as string });
  } finally {
    client.destroy();
  }
}
