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
