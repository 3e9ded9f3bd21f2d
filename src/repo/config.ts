import { GasError } from '../errors.js'

/** .gas/config.json: settings shared by every command of one workspace. */
export interface WorkspaceConfig {
  version: 1
  branch: string
  /** IANA zone stamped on versions; defaults to the machine's */
  timeZone: string
  team: { id: string, name: string, rootPublicKey: string } | null
  trackers: string[]
  roles: string[]
  /** selective sync: local overrides of `.gasrules` ("include PATTERN" / "exclude PATTERN"), not shared */
  selective?: { overrides: string[], history?: HistoryContent }
  /** direct path: addresses (`HOST:PORT`) of team peers to try besides the tracker (`gas team peer`) */
  peers?: string[]
  /** direct path: where `gas serve` listens (`HOST:PORT`; default all interfaces, a free port) */
  listen?: string
  /** direct path: LAN discovery by multicast (`gas team lan on`); absent: off */
  lan?: { interface?: string, port?: number, group?: string }
}

/** `gas sync history`: 'current' fetches the content of the versions refs name (default), 'all' every stored version's too */
export type HistoryContent = 'current' | 'all'

export function defaultConfig (timeZone: string): WorkspaceConfig {
  return { version: 1, branch: 'main', timeZone, team: null, trackers: [], roles: [] }
}

export function parseConfig (text: string, path: string): WorkspaceConfig {
  let value: Partial<WorkspaceConfig>
  try {
    value = JSON.parse(text) as Partial<WorkspaceConfig>
  } catch {
    throw new GasError('E_CORRUPT_OBJECT', `${path} is not valid JSON; fix or restore it`)
  }
  if (value.version !== 1 || typeof value.branch !== 'string') throw new GasError('E_CORRUPT_OBJECT', `${path} is not a gas config (version 1)`)
  return { ...defaultConfig(value.timeZone ?? 'UTC'), ...value } as WorkspaceConfig
}
