import { GasError } from '../../errors.js'

/**
 * Refuses what cannot be a tracker URL (ws:// or wss:// with a host), the same check for
 * `--tracker URL` (joinSwarm) and `gas team tracker URL`, so a typo is caught where it is typed,
 * not on every later sync.
 */
export function checkTrackerUrl (url: string): string {
  let parsed: URL | undefined
  try {
    parsed = /^wss?:\/\//.test(url) ? new URL(url) : undefined
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || parsed.hostname === '') throw GasError.badArgument(`tracker URL must be ws://HOST:PORT or wss://HOST:PORT, not ${url}`, { url })
  return url
}
