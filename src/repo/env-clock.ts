import { GasError } from '../errors.js'
import type { Clock } from './workspace.js'

/** environment variable fixing a gas process's clock (epoch ms or an ISO time): tests and simulations of lock expiry */
export const GAS_NOW_ENV = 'GAS_NOW'

/** The clock $GAS_NOW names, or undefined for the system's. */
export function clockFromEnv (env: NodeJS.ProcessEnv = process.env): Clock | undefined {
  const text = env[GAS_NOW_ENV]
  if (text === undefined || text === '') return undefined
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text)
  if (!Number.isFinite(ms)) throw GasError.badArgument(`${GAS_NOW_ENV}="${text}" is not a time (epoch milliseconds or ISO 8601)`)
  return { now: () => ms }
}
