/**
 * Security headers for every answer (an API: nothing may be framed, sniffed or embedded).
 * The entry points add them (natively on the Node server, on the result in Lambda) rather
 * than a Hono middleware: changing a response's headers after the handler made it is costly
 * (docs/performance.md), setting them on the socket costs nothing.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
};
export const SECURITY_HEADER_ENTRIES = Object.entries(SECURITY_HEADERS);
