/**
 * `coffee load-tokens` against a mocked Cognito (its admin APIs cannot run here): the calls
 * it sends, the file it writes, what it prints and how AWS failures read. Usage errors go
 * through the real CLI in a child process, as CI would run it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InvalidParameterException,
  NotAuthorizedException,
  ResourceNotFoundException,
  UserNotFoundException,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main.ts';
import { UsageError } from '../cli/index.ts';
import { loadTokensCommand, type LoadTokensIo, type LoadTokensOptions } from './load-tokens-command.ts';
import { parseTokenPool } from './shared/tokens.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COFFEE = path.join(ROOT, 'bin', 'coffee.js');
const POOL = 'eu-west-1_TestPool1';
const CLIENT = '4testclient56789';

const cognito = mockClient(CognitoIdentityProviderClient);
const client = () =>
  new CognitoIdentityProviderClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
  });

/** A JWT-shaped access token that says whose it is. */
function tokenFor(username: string): string {
  return `eyJraWQiOiJ0ZXN0In0.${Buffer.from(JSON.stringify({ username })).toString('base64url')}.c2lnbmF0dXJl`;
}

function capture(): LoadTokensIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

function awsError<E extends Error>(
  Exception: new (options: { message: string; $metadata: { httpStatusCode: number } }) => E,
  message: string,
): E {
  return new Exception({ message, $metadata: { httpStatusCode: 400 } });
}

let dir: string;
let options: LoadTokensOptions;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'coffee-load-tokens-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  options = {
    userPoolId: POOL,
    clientId: CLIENT,
    customers: 3,
    baristas: 2,
    prefix: 'coffee-load',
    domain: 'load.example.com',
    out: path.join(dir, `tokens-${Date.now()}.json`),
  };
  cognito.on(AdminCreateUserCommand).resolves({});
  cognito.on(AdminSetUserPasswordCommand).resolves({});
  cognito.on(AdminAddUserToGroupCommand).resolves({});
  cognito.on(AdminInitiateAuthCommand).callsFake((input: { AuthParameters: { USERNAME: string } }) => ({
    AuthenticationResult: {
      AccessToken: tokenFor(input.AuthParameters.USERNAME),
      ExpiresIn: 3600,
      TokenType: 'Bearer',
    },
  }));
});
afterEach(() => {
  cognito.reset();
  vi.restoreAllMocks();
});

const customers = [
  'coffee-load-customer-1@load.example.com',
  'coffee-load-customer-2@load.example.com',
  'coffee-load-customer-3@load.example.com',
];
const baristas = ['coffee-load-barista-1@load.example.com', 'coffee-load-barista-2@load.example.com'];

describe('coffee load-tokens', () => {
  it('creates each user without an invitation, sets a permanent random password, groups only the baristas and signs in with ADMIN_USER_PASSWORD_AUTH', async () => {
    const io = capture();
    await loadTokensCommand(options, io, client);

    const created = cognito.commandCalls(AdminCreateUserCommand).map((c) => c.args[0].input);
    expect(created.map((input) => input.Username).sort()).toEqual([...baristas, ...customers].sort());
    for (const input of created) {
      expect(input).toEqual({
        UserPoolId: POOL,
        Username: input.Username,
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: input.Username },
          { Name: 'email_verified', Value: 'true' },
        ],
      });
    }

    const passwords = new Map(
      cognito.commandCalls(AdminSetUserPasswordCommand).map((c) => [c.args[0].input.Username, c.args[0].input]),
    );
    expect([...passwords.keys()].sort()).toEqual([...baristas, ...customers].sort());
    for (const input of passwords.values()) {
      expect(input).toMatchObject({ UserPoolId: POOL, Permanent: true });
      // The pool's policy: 12+ characters with lower, upper, digit and symbol.
      expect(input.Password).toMatch(/^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[^A-Za-z0-9]).{12,}$/);
    }
    expect(new Set([...passwords.values()].map((p) => p.Password)).size).toBe(5);

    const grouped = cognito.commandCalls(AdminAddUserToGroupCommand).map((c) => c.args[0].input);
    expect(grouped.sort((a, b) => a.Username!.localeCompare(b.Username!))).toEqual(
      baristas.map((Username) => ({ UserPoolId: POOL, Username, GroupName: 'barista' })),
    );

    const signIns = cognito.commandCalls(AdminInitiateAuthCommand).map((c) => c.args[0].input);
    expect(signIns).toHaveLength(5);
    for (const input of signIns) {
      const username = input.AuthParameters!.USERNAME!;
      expect(input).toEqual({
        UserPoolId: POOL,
        ClientId: CLIENT,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: username, PASSWORD: passwords.get(username)!.Password },
      });
    }
    // Per user: created, then its password, then (a barista) the group, then the sign-in.
    const order = cognito.calls().map((call) => {
      const input = call.args[0].input as { Username?: string; AuthParameters?: { USERNAME: string } };
      return `${call.args[0].constructor.name}:${input.Username ?? input.AuthParameters?.USERNAME}`;
    });
    for (const username of [...customers, ...baristas]) {
      const mine = order.filter((entry) => entry.endsWith(`:${username}`)).map((entry) => entry.split(':')[0]);
      const group = baristas.includes(username) ? ['AdminAddUserToGroupCommand'] : [];
      expect(mine).toEqual([
        'AdminCreateUserCommand',
        'AdminSetUserPasswordCommand',
        ...group,
        'AdminInitiateAuthCommand',
      ]);
    }
  });

  it('writes a 0600 file that coffee load --tokens reads, with usernames and the expiry, and prints neither tokens nor passwords', async () => {
    // A file left by an earlier run, readable by others: it is replaced, not reused.
    await writeFile(options.out, '{}', { mode: 0o644 });
    const io = capture();
    const before = Date.now();
    await loadTokensCommand(options, io, client);
    const after = Date.now();

    const text = await readFile(options.out, 'utf8');
    expect((await stat(options.out)).mode & 0o777).toBe(0o600);
    const pool = parseTokenPool(text, options.out);
    expect(pool.customers).toEqual(customers.map(tokenFor));
    expect(pool.baristas).toEqual(baristas.map(tokenFor));
    const file = JSON.parse(text) as {
      customers: { username: string }[];
      baristas: { username: string }[];
      expiresAt: string;
    };
    expect(file.customers.map((c) => c.username)).toEqual(customers);
    expect(file.baristas.map((b) => b.username)).toEqual(baristas);
    expect(Date.parse(file.expiresAt)).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(Date.parse(file.expiresAt)).toBeLessThanOrEqual(after + 3_600_000);

    expect(io.outLines).toEqual([
      `user pool ${POOL}: created 5 users, reused 0`,
      `wrote 3 customer and 2 barista tokens to ${options.out} (mode 0600); they expire at ${file.expiresAt} (in 60 min)`,
    ]);
    expect(io.errLines).toContain('minted 5/5');
    const printed = [...io.outLines, ...io.errLines].join('\n');
    const passwords = cognito.commandCalls(AdminSetUserPasswordCommand).map((c) => c.args[0].input.Password!);
    for (const secret of [...pool.customers, ...pool.baristas, ...passwords]) expect(printed).not.toContain(secret);
    for (const password of passwords) expect(text).not.toContain(password);
  });

  it('reuses a user that exists, with a new password', async () => {
    cognito
      .on(AdminCreateUserCommand, { Username: customers[1] })
      .rejects(awsError(UsernameExistsException, 'An account with the given email already exists.'));
    const io = capture();
    await loadTokensCommand(options, io, client);
    const resetFor = cognito
      .commandCalls(AdminSetUserPasswordCommand)
      .filter((c) => c.args[0].input.Username === customers[1]);
    expect(resetFor).toHaveLength(1);
    expect(resetFor[0]!.args[0].input.Permanent).toBe(true);
    expect(parseTokenPool(await readFile(options.out, 'utf8'), options.out).customers[1]).toBe(tokenFor(customers[1]!));
    expect(io.outLines[0]).toBe(`user pool ${POOL}: created 4 users, reused 1`);
  });

  it('keeps at most 4 users in flight', async () => {
    let inFlight = 0;
    let most = 0;
    cognito.on(AdminCreateUserCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return {};
    });
    await loadTokensCommand({ ...options, customers: 12, baristas: 2 }, capture(), client);
    expect(cognito.commandCalls(AdminCreateUserCommand)).toHaveLength(14);
    expect(most).toBe(4);
  });

  it('turns AWS failures into one line naming the user pool or client and what to check, and writes no file', async () => {
    const cases: [() => void, RegExp][] = [
      [
        () =>
          cognito
            .on(AdminCreateUserCommand)
            .rejects(awsError(ResourceNotFoundException, `User pool ${POOL} does not exist.`)),
        /^user pool eu-west-1_TestPool1 not found in eu-west-1 \(ResourceNotFoundException: .*\): check --user-pool-id and --region/,
      ],
      [
        () =>
          cognito
            .on(AdminInitiateAuthCommand)
            .rejects(awsError(InvalidParameterException, 'Auth flow not enabled for this client')),
        /^app client 4testclient56789 of user pool eu-west-1_TestPool1 does not allow ADMIN_USER_PASSWORD_AUTH \(InvalidParameterException: Auth flow not enabled for this client\): enable/,
      ],
      [
        () =>
          cognito
            .on(AdminInitiateAuthCommand)
            .rejects(
              awsError(
                NotAuthorizedException,
                'Client 4testclient56789 is configured with secret but SECRET_HASH was not received',
              ),
            ),
        /^app client 4testclient56789 of user pool eu-west-1_TestPool1 refused the sign-in \(NotAuthorizedException: .*SECRET_HASH.*\): check that the client has no secret/,
      ],
      [
        () =>
          cognito.on(AdminCreateUserCommand).rejects(
            Object.assign(new Error('Could not load credentials from any providers'), {
              name: 'CredentialsProviderError',
            }),
          ),
        /^no AWS credentials for Cognito AdminCreateUser on user pool eu-west-1_TestPool1: set AWS_PROFILE/,
      ],
    ];
    for (const [arrange, message] of cases) {
      cognito.reset();
      cognito.on(AdminCreateUserCommand).resolves({});
      cognito.on(AdminSetUserPasswordCommand).resolves({});
      cognito.on(AdminAddUserToGroupCommand).resolves({});
      cognito
        .on(AdminInitiateAuthCommand)
        .resolves({ AuthenticationResult: { AccessToken: tokenFor('x'), ExpiresIn: 3600 } });
      arrange();
      const error = await loadTokensCommand(options, capture(), client).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
      await expect(stat(options.out)).rejects.toThrow(/ENOENT/);
    }
  });

  it('through the CLI, an AWS failure is one line on stderr and exit code 2, with no stack', async () => {
    cognito
      .on(AdminCreateUserCommand)
      .rejects(awsError(ResourceNotFoundException, `User pool ${POOL} does not exist.`));
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const code = await main([
      'node',
      'coffee',
      'load-tokens',
      '--user-pool-id',
      POOL,
      '--client-id',
      CLIENT,
      '--customers',
      '1',
      '--baristas',
      '1',
      '--out',
      options.out,
    ]);
    expect(code).toBe(2);
    const last = stderr.join('').trim().split('\n').at(-1);
    expect(last).toMatch(
      /^coffee: user pool eu-west-1_TestPool1 not found in eu-west-1 .*check --user-pool-id and --region/,
    );
    expect(stderr.join('')).not.toMatch(/\n\s+at /);
  });

  it('--delete deletes the users of the prefix and counts, and ignores the ones not there', async () => {
    cognito
      .on(AdminDeleteUserCommand)
      .resolves({})
      .on(AdminDeleteUserCommand, { Username: baristas[1] })
      .rejects(awsError(UserNotFoundException, 'User does not exist.'));
    const io = capture();
    await loadTokensCommand({ ...options, clientId: undefined, delete: true }, io, client);
    expect(
      cognito
        .commandCalls(AdminDeleteUserCommand)
        .map((c) => c.args[0].input)
        .sort((a, b) => a.Username!.localeCompare(b.Username!)),
    ).toEqual([...baristas, ...customers].sort().map((Username) => ({ UserPoolId: POOL, Username })));
    expect(cognito.calls()).toHaveLength(5);
    expect(io.outLines).toEqual([`user pool ${POOL}: deleted 4 users, 1 not found`]);
    await expect(stat(options.out)).rejects.toThrow(/ENOENT/);
  });
});

function coffee(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
    execFile(process.execPath, [COFFEE, ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('coffee load-tokens (CLI)', () => {
  it('exits 2 naming the option on a missing pool or client, a bad count or a malformed pool id', async () => {
    const runs = await Promise.all([
      coffee(['load-tokens', '--client-id', CLIENT]),
      coffee(['load-tokens', '--user-pool-id', POOL]),
      coffee(['load-tokens', '--user-pool-id', POOL, '--client-id', CLIENT, '--customers', '0']),
      coffee(['load-tokens', '--user-pool-id', 'TestPool1', '--client-id', CLIENT]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(runs.map((r) => r.stderr.trim())).toEqual([
      'coffee: --user-pool-id is required (the UserPoolId output of the CoffeeService stack)',
      'coffee: --client-id is required to sign the users in (the UserPoolClientId output of the CoffeeService stack)',
      'coffee: --customers must be an integer between 1 and 1000, got "0"',
      'coffee: --user-pool-id must look like eu-west-1_AbC123xyz, got "TestPool1"',
    ]);
  });

  it('--help lists the options and an example', async () => {
    const help = await coffee(['load-tokens', '--help']);
    expect(help.code).toBe(0);
    for (const option of [
      '--user-pool-id',
      '--client-id',
      '--region',
      '--customers',
      '--baristas',
      '--prefix',
      '--domain',
      '--out',
      '--delete',
    ]) {
      expect(help.stdout).toContain(option);
    }
    expect(help.stdout).toMatch(/Example:\n {2}coffee load-tokens --user-pool-id /);
  });
});
