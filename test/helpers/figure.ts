import type { TestContext } from 'vitest';

/**
 * Records what a battery test measured: printed with the test's output and collected by the matrix
 * reporter (test/harness/matrix-reporter.ts) into the run summary's "Battery figures".
 */
export function figure(context: Pick<TestContext, 'task'>, text: string): void {
  const meta = context.task.meta as { figures?: string[] };
  (meta.figures ??= []).push(text);
  console.log(text);
}
