/**
 * The environment the Lambda handler needs to run on this machine: a local DynamoDB
 * endpoint, dev tokens signed with a fixed key, logs off. Used by the handler's tests, the
 * signal proof and the bench's cold-start figure; `extra` adds or overrides variables.
 */
export const LOCAL_LAMBDA_KEY = 'k'.repeat(43);

export function localLambdaEnv(dynamoEndpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    COFFEE_DYNAMODB_ENDPOINT: dynamoEndpoint,
    COFFEE_AUTH_MODE: 'dev',
    COFFEE_DEV_SIGNING_KEY: LOCAL_LAMBDA_KEY,
    COFFEE_USER_ID_KEY: LOCAL_LAMBDA_KEY,
    COFFEE_LOG_LEVEL: 'silent',
    ...extra,
  };
}
