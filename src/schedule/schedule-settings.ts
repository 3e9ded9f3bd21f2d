import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import type { Workspace } from '../repo/workspace.js'
import { checkSchedule, nextChange, parseSchedule, rateAt, type Schedule } from './schedule.js'

/**
 * A member's schedule and transfer settings (.gas/schedule.json), and the schedules peers told us
 * in their HELLO (.gas/peer-schedules.json, by member name) for `gas queue plan`.
 */
export interface ScheduleSettings extends Schedule {
  /** bytes/s for metadata and previews outside every window (README "Priorities") */
  metadataLimit: number
  /** back off while other programs keep the CPUs busier than this fraction (0..1) */
  busyCpu: number
}

/** why: metadata and previews are ~0.5% of a project; 256 KiB/s moves a day's worth in minutes without being felt */
export const DEFAULT_METADATA_LIMIT = 256 * 1024
/** why: above 80% busy a person is compiling, baking or playing; a transfer then takes a quarter of its rate */
export const DEFAULT_BUSY_CPU = 0.8

const FILE = 'schedule.json'
const PEERS_FILE = 'peer-schedules.json'

export function defaultSettings (): ScheduleSettings {
  return { windows: [], metadataLimit: DEFAULT_METADATA_LIMIT, busyCpu: DEFAULT_BUSY_CPU }
}

async function readJson (ws: Workspace, file: string): Promise<unknown> {
  try {
    return JSON.parse(await ws.fs.readFile(join(ws.gasDir, file), 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    if (err instanceof SyntaxError) throw new GasError('E_BAD_SCHEDULE', `.gas/${file} is not valid JSON; set the schedule again with \`gas schedule set\``)
    throw fromFsError(err, `.gas/${file}`)
  }
}

async function writeJson (ws: Workspace, file: string, value: unknown): Promise<void> {
  const path = join(ws.gasDir, file)
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await ws.fs.writeFile(tmp, JSON.stringify(value, null, 2))
    await ws.fs.rename(tmp, path)
  } catch (err) {
    await ws.fs.rm(tmp, { force: true }).catch(() => {})
    throw fromFsError(err, `.gas/${file}`)
  }
}

export async function readSettings (ws: Workspace): Promise<ScheduleSettings> {
  const raw = await readJson(ws, FILE) as Partial<ScheduleSettings> | undefined
  if (raw === undefined) return defaultSettings()
  const schedule = checkSchedule(raw)
  const metadataLimit = raw.metadataLimit ?? DEFAULT_METADATA_LIMIT
  const busyCpu = raw.busyCpu ?? DEFAULT_BUSY_CPU
  if (typeof metadataLimit !== 'number' || metadataLimit < 0 || typeof busyCpu !== 'number' || busyCpu <= 0 || busyCpu > 1) throw new GasError('E_BAD_SCHEDULE', `.gas/${FILE} has a bad metadata limit or CPU threshold; set the schedule again`)
  return { ...schedule, metadataLimit, busyCpu }
}

export interface SetScheduleOptions { windows: string[], limit?: number, outsideLimit?: number, metadataLimit?: number, busyCpu?: number }

/** `gas schedule set`: replaces the windows and limits (a running `gas serve` picks them up within a second). */
export async function setSchedule (ws: Workspace, opts: SetScheduleOptions): Promise<ScheduleSettings> {
  if (opts.busyCpu !== undefined && !(opts.busyCpu > 0 && opts.busyCpu <= 1)) throw new GasError('E_BAD_SCHEDULE', '--busy-cpu must be a share of the CPUs between 1% and 100%')
  if (opts.metadataLimit !== undefined && !(opts.metadataLimit >= 0)) throw new GasError('E_BAD_SCHEDULE', '--metadata-limit must be a rate of 0 or more')
  const schedule = parseSchedule(opts.windows, { limit: opts.limit, outsideLimit: opts.outsideLimit })
  const settings: ScheduleSettings = { ...schedule, metadataLimit: opts.metadataLimit ?? DEFAULT_METADATA_LIMIT, busyCpu: opts.busyCpu ?? DEFAULT_BUSY_CPU }
  await writeJson(ws, FILE, settings)
  return settings
}

export interface ScheduleReport extends ScheduleSettings {
  /** at the time asked: the rate allowed now (null: unlimited) and when it next changes */
  now: { at: string, open: boolean, rate: number | null, nextChange: string | null }
}

export async function showSchedule (ws: Workspace, at: number): Promise<ScheduleReport> {
  const settings = await readSettings(ws)
  const rate = rateAt(settings, at)
  const next = nextChange(settings, at)
  return { ...settings, now: { at: new Date(at).toISOString(), open: rate > 0, rate: Number.isFinite(rate) ? rate : null, nextChange: next === undefined ? null : new Date(next).toISOString() } }
}

/** The schedules peers announced, by member name (unknown peers: unlimited). */
export async function readPeerSchedules (ws: Workspace): Promise<Map<string, Schedule>> {
  const raw = await readJson(ws, PEERS_FILE).catch(() => undefined) as Record<string, unknown> | undefined
  const out = new Map<string, Schedule>()
  for (const [name, value] of Object.entries(raw ?? {})) {
    try {
      out.set(name, checkSchedule(value))
    } catch {
      // a peer's bad schedule is ignored: it plans as unlimited, as if it had told us nothing
    }
  }
  return out
}

/** Remembers what a peer told us of its schedule in HELLO. */
export async function recordPeerSchedule (ws: Workspace, member: string, schedule: Schedule): Promise<void> {
  const raw = (await readJson(ws, PEERS_FILE).catch(() => undefined) ?? {}) as Record<string, unknown>
  await writeJson(ws, PEERS_FILE, { ...raw, [member]: { windows: schedule.windows.map((w) => w.text), limit: schedule.limit, outsideLimit: schedule.outsideLimit } })
}
