/**
 * Finds where one HTTP/1.1 response ends in a byte stream, for the bench's open-load
 * client: the status line, then a body framed by Content-Length or chunked transfer
 * coding, or none (1xx, 204, 304). Nothing else is parsed. One response at a time: the
 * client never pipelines, so bytes after a complete response are a protocol error.
 */
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'trailers';

export class ResponseFramer {
  #buffer: Buffer = Buffer.alloc(0);
  #state: State = 'head';
  #status = 0;
  /** Body or chunk bytes still to come. */
  #remaining = 0;
  /** The last complete response asked for the connection to be closed. */
  closeAfter = false;

  /** Takes the next bytes; returns the status code when they complete a response. Throws on a malformed one. */
  push(chunk: Buffer): number | undefined {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const progressed = this.#step();
      if (progressed === 'done') {
        if (this.#buffer.length > 0) throw new Error('bytes after a complete response');
        this.#state = 'head';
        return this.#status;
      }
      if (!progressed) return undefined;
    }
  }

  /** One step of the state machine: true when it consumed something, 'done' at a response's end. */
  #step(): boolean | 'done' {
    switch (this.#state) {
      case 'head':
        return this.#head();
      case 'body':
        return this.#take(this.#remaining) ? 'done' : false;
      case 'chunk-size':
        return this.#chunkSize();
      case 'chunk-data':
        // A chunk's data is followed by CRLF.
        if (!this.#take(this.#remaining + 2)) return false;
        this.#state = 'chunk-size';
        return true;
      case 'trailers':
        return this.#trailers();
    }
  }

  #head(): boolean | 'done' {
    const end = this.#buffer.indexOf(HEAD_END);
    if (end < 0) return false;
    const lines = this.#buffer.toString('latin1', 0, end).split('\r\n');
    this.#buffer = this.#buffer.subarray(end + 4);
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1];
    if (!status) throw new Error(`not an HTTP/1.1 status line: ${lines[0]}`);
    this.#status = Number(status);
    let length: number | undefined;
    let chunked = false;
    this.closeAfter = false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line
        .slice(colon + 1)
        .trim()
        .toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.split(',').some((v) => v.trim() === 'chunked');
      else if (name === 'connection') this.closeAfter = value.split(',').some((v) => v.trim() === 'close');
    }
    if (this.#status < 200 || this.#status === 204 || this.#status === 304) {
      // An interim answer (100 Continue) is followed by the real one.
      return this.#status < 200 ? true : 'done';
    }
    if (chunked) {
      this.#state = 'chunk-size';
      return true;
    }
    if (length === undefined || !Number.isInteger(length) || length < 0)
      throw new Error('a response with neither Content-Length nor chunked coding');
    this.#remaining = length;
    this.#state = 'body';
    return true;
  }

  #chunkSize(): boolean {
    const end = this.#buffer.indexOf(CRLF);
    if (end < 0) return false;
    const size = parseInt(this.#buffer.toString('latin1', 0, end).split(';')[0]!.trim(), 16);
    if (!Number.isInteger(size) || size < 0) throw new Error('a malformed chunk size');
    this.#buffer = this.#buffer.subarray(end + 2);
    this.#remaining = size;
    this.#state = size === 0 ? 'trailers' : 'chunk-data';
    return true;
  }

  #trailers(): boolean | 'done' {
    const end = this.#buffer.indexOf(CRLF);
    if (end < 0) return false;
    this.#buffer = this.#buffer.subarray(end + 2);
    return end === 0 ? 'done' : true;
  }

  /** Drops `n` bytes once they are all here. */
  #take(n: number): boolean {
    if (this.#buffer.length < n) return false;
    this.#buffer = this.#buffer.subarray(n);
    return true;
  }
}
