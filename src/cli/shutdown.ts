/**
 * One shutdown path for SIGINT and SIGTERM: the first signal runs `close` once;
 * a second one exits at once. Resolves when `close` has finished.
 */
export function onShutdown(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let closing = false;
    const handler = (): void => {
      if (closing) process.exit(130);
      closing = true;
      close().then(resolve, (err: unknown) => {
        process.stderr.write(`shutdown error: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
