/** Every incoming message passes its page's guard; malformed ones are counted and shown, never used. */
export function listen<T>(parse: (x: unknown) => T | undefined, handle: (message: T) => void, rejected: () => void): void {
  window.addEventListener('message', (event: MessageEvent) => {
    const message = parse(event.data);
    if (message === undefined) {
      rejected();
      return;
    }
    handle(message);
  });
}
