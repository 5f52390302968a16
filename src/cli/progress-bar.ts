/**
 * A text progress bar for a terminal line.
 *
 * @example
 * progressBar(3, 10, 10); // '[###.......]'
 */
export function progressBar(done: number, total: number, width = 24): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
