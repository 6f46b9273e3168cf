/**
 * Requests that Node's HTTP parser refuses (a repeated Content-Length, Content-Length
 * with Transfer-Encoding, a broken request line or chunk) never reach the app, and Node
 * answers them with a bare `400` and no body. This answers them in the service's error
 * contract instead: problem+json with a stable code.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { AppError, ErrorCodes, toProblem } from '../errors.ts';
import { SECURITY_HEADER_ENTRIES } from '../http/security-headers.ts';

function problemResponse(code: string | undefined): string {
  // Node's own answer for a request that timed out: the client is usually gone.
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';
  const error =
    code === 'HPE_HEADER_OVERFLOW'
      ? new AppError(431, ErrorCodes.PayloadTooLarge, 'The request headers are too large')
      : code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
        ? new AppError(413, ErrorCodes.PayloadTooLarge, 'The chunk extensions are too large')
        : new AppError(400, ErrorCodes.Validation, 'The request is not valid HTTP/1.1', {
            errors: [{ field: '(request)', message: 'is not valid HTTP/1.1 (e.g. a repeated Content-Length, or Content-Length with Transfer-Encoding)' }],
          });
  const { problem, headers } = toProblem(error);
  const body = JSON.stringify(problem);
  const lines = [
    `HTTP/1.1 ${problem.status} ${problem.title}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ...SECURITY_HEADER_ENTRIES.map(([name, value]) => `${name}: ${value}`),
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Replaces Node's default `clientError` answer with a problem+json one. */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, duplex) => {
    const socket = duplex as Socket;
    // As Node does: answer only when nothing was written on this connection yet.
    if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    socket.end(problemResponse(error.code));
  });
}
