/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. (A wait, not a timing assertion.) */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A unique suffix for topics and groups, so test files never share state. */
export const uniq = (): string => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
