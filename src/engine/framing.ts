/**
 * The stdio transport's message reader, which survives bad framing. vscode-jsonrpc's own reader stops for good
 * at a header it cannot parse (a missing or non-numeric Content-Length), so one bad frame made the engine deaf.
 * This one drops the bad bytes up to the next `Content-Length:` header, says so in one line, and reads on.
 */
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from 'vscode-jsonrpc/node';

const HEADER = Buffer.from('Content-Length:', 'ascii');
const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');
/** A didOpen of the largest document the heatmap scores (20 M characters) fits; a claim past this is framing garbage. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
/** Headers are a line or two; more before \r\n\r\n is not a header. */
const MAX_HEADER_BYTES = 1024;

export class ResyncingMessageReader extends AbstractMessageReader {
  private buffer: Buffer = Buffer.alloc(0);
  private callback: DataCallback | undefined;

  constructor(private readonly input: NodeJS.ReadableStream, private readonly log: (line: string) => void) {
    super();
    input.on('error', (e: Error) => this.fireError(e));
    input.on('close', () => this.fireClose());
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => this.onData(chunk);
    this.input.on('data', onData);
    return { dispose: () => { this.input.off('data', onData); this.callback = undefined; } };
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const message = this.next();
      if (message === 'wait') return;
      if (message !== 'skipped') this.callback?.(message);
    }
  }

  /** One message off the buffer, or 'skipped' (bad bytes dropped, try again), or 'wait' (need more bytes). */
  private next(): Message | 'skipped' | 'wait' {
    if (this.buffer.length === 0) return 'wait';
    const headerEnd = this.buffer.indexOf(HEADER_END);
    if (headerEnd < 0) {
      if (this.buffer.length > MAX_HEADER_BYTES) return this.resync('no end of header within 1 KiB');
      return 'wait';
    }
    const length = contentLength(this.buffer.subarray(0, headerEnd).toString('ascii'));
    if (typeof length === 'string') return this.resync(length);
    const start = headerEnd + HEADER_END.length;
    const body = this.buffer.subarray(start, start + length);
    // A raw CR LF never occurs inside JSON strings, so "\r\nContent-Length: N\r\n" inside a body means the
    // length was too long and the next message started before this one's claimed end.
    const nextHeader = body.indexOf(HEADER);
    if (nextHeader >= 0 && /^Content-Length: *\d+\r\n/.test(body.subarray(nextHeader, nextHeader + 40).toString('ascii'))) {
      this.log(`framing error: Content-Length ${length} runs into the next message; dropped ${start + nextHeader} bytes`);
      this.buffer = this.buffer.subarray(start + nextHeader);
      return 'skipped';
    }
    if (body.length < length) return 'wait';
    this.buffer = this.buffer.subarray(start + length);
    try {
      const message: unknown = JSON.parse(body.toString('utf8'));
      if (typeof message === 'object' && message !== null && !Array.isArray(message)) return message as Message;
      this.log(`framing error: a ${length}-byte message is not a JSON object; dropped it`);
    } catch {
      this.log(`framing error: a ${length}-byte message is not valid JSON (wrong Content-Length?); dropped it`);
      // Too short a length leaves the rest of the body before the next header: resync finds that header.
      if (this.buffer.length && this.buffer.indexOf(HEADER) !== 0) return this.resync('bytes after a bad message');
    }
    return 'skipped';
  }

  /** Drops bytes up to the next header (keeping a possible partial one at the end), and says so in one line. */
  private resync(reason: string): 'skipped' | 'wait' {
    const at = this.buffer.indexOf(HEADER, 1);
    const dropped = at >= 0 ? at : Math.max(0, this.buffer.length - HEADER.length);
    this.log(`framing error: ${reason}; dropped ${dropped} bytes and read on from the next Content-Length header`);
    this.buffer = this.buffer.subarray(dropped);
    return at >= 0 ? 'skipped' : 'wait';
  }
}

/** The Content-Length of a header block, or why it has none usable. */
function contentLength(header: string): number | string {
  let length: number | undefined;
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return 'a header line without "name: value"';
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d{1,12}$/.test(value)) return 'Content-Length is not a number';
      length = Number(value);
    }
  }
  if (length === undefined) return 'a header without Content-Length';
  if (length > MAX_MESSAGE_BYTES) return `Content-Length ${length} is past the ${MAX_MESSAGE_BYTES}-byte limit`;
  return length;
}
