/**
 * An error the user caused and can fix (bad path, empty corpus, corrupt checkpoint...).
 * Its message is one line that names the file and says what to do; the CLI prints only that line
 * (no stack trace unless --verbose) and exits 1, and the editor shows it in a notification.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError';
}

/**
 * Where JSON.parse failed, without the text: V8's messages quote the file's first bytes ("Unexpected token 'r',
 * "root:x:0:0:"... is not valid JSON"), and an error must never show the content of a file it was pointed at.
 */
export function jsonErrorWhere(e: unknown): string {
  const message = e instanceof Error ? e.message : '';
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return `syntax error at byte ${position}`;
  return /end of JSON input/.test(message) ? 'it ends too early' : 'syntax error';
}
