// Polling for a condition in multi-process tests, where an event arrives from another process
// at an unknown moment. Fails with a clear error after the deadline instead of hanging.

export async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const startMs = Date.now();
  while (!check()) {
    if (Date.now() - startMs > timeoutMs)
      throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
