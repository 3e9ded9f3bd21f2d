/**
 * Numbered demo steps: each runs, checks its outcome, and on failure names
 * the step and the cause (a typed error code when there is one), so a failed run says where.
 */
import { GasError } from '../src/index.js'

export class StepFailure extends Error {}

let counter = 0

export async function step<T> (name: string, run: () => Promise<T>, check: (value: T) => string | null = () => null): Promise<T> {
  counter++
  const label = `step ${counter} (${name})`
  let value: T
  try {
    value = await run()
  } catch (err) {
    throw new StepFailure(`${label} failed: ${err instanceof GasError ? `${err.code}: ` : ''}${(err as Error).message}`)
  }
  const problem = check(value)
  if (problem !== null) throw new StepFailure(`${label} failed its check: ${problem}`)
  return value
}
