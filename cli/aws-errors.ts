/**
 * Turns the AWS SDK failures a user can fix (no credentials, access denied, no network)
 * into one-line `UsageError`s (exit code 2) instead of stacks.
 */
import { UsageError } from './usage-error.ts';

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);
const ACCESS_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
]);
const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/**
 * A `UsageError` for a failure the user must fix outside the tool, or undefined.
 * `service` names what was called in the message (default `CloudWatch`).
 */
export function explainAwsError(
  error: unknown,
  { operation, region, service = 'CloudWatch' }: { operation: string; region: string; service?: string },
): UsageError | undefined {
  if (!(error instanceof Error)) return undefined;
  const name = error.name;
  const code = (error as { code?: unknown }).code;
  if (CREDENTIAL_ERRORS.has(name) || /Could not load credentials/i.test(error.message)) {
    return new UsageError(
      `no AWS credentials for ${service} ${operation}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (region ${region})`,
    );
  }
  if (ACCESS_ERRORS.has(name)) {
    return new UsageError(
      `access denied for ${service} ${operation} in ${region} (${name}): ${firstLine(error.message)}`,
    );
  }
  if (
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    name === 'TimeoutError' ||
    /getaddrinfo|connect ECONNREFUSED|socket hang up/i.test(error.message)
  ) {
    return new UsageError(`cannot reach ${service} in ${region} for ${operation}: ${firstLine(error.message)}`);
  }
  return undefined;
}

/** Runs an AWS call; known user-fixable failures become `UsageError`s, others propagate. */
export async function awsCall<T>(operation: string, region: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explainAwsError(error, { operation, region }) ?? error;
  }
}
