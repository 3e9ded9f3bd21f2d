import type { Command } from 'commander'
import { GasError } from '../../errors.js'
import type { ScheduleReport } from '../../schedule/schedule-settings.js'
// why: loaded when the command runs: date-fns formatting loads ~300 modules other commands must not pay for
const settings = async () => await import('../../schedule/schedule-settings.js')
import { formatRate } from '../../units.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { parseRate } from '../parse.js'
import { formatWallClock } from '../../repo/lock-format.js'

function describe (s: ScheduleReport, timeZone: string): string {
  const lines = s.windows.length === 0 ? [noWindows(s)] : s.windows.map((w) => `window ${w.text}${w.limit === undefined ? ` (${formatRate(s.limit ?? Infinity)})` : ''}`)
  if (s.windows.length > 0) lines.push(`outside windows: ${s.outsideLimit === undefined || s.outsideLimit === 0 ? 'wait' : formatRate(s.outsideLimit)}; metadata and previews: ${formatRate(s.metadataLimit)}`)
  lines.push(`now: ${s.now.open ? `open at ${formatRate(s.now.rate ?? Infinity)}` : 'closed'}${s.now.nextChange !== null ? `, changes at ${formatWallClock(Date.parse(s.now.nextChange), timeZone)}` : ''}`)
  return lines.join('\n')
}

/** why: --outside-limit 0 with no window is a pause (files wait, versions and previews still move), not "any hour" */
function noWindows (s: ScheduleReport): string {
  if (s.outsideLimit === 0) return `no windows, and --outside-limit 0: files wait (versions, metadata and previews still move at ${formatRate(s.metadataLimit)}) until a window or a rate is set`
  return `no windows: transfers run at any hour${s.outsideLimit === undefined ? '' : `, at ${formatRate(s.outsideLimit)}`}`
}

export function register (program: Command): void {
  const schedule = program.command('schedule').description('when big transfers may run (windows in IANA time zones)')
  schedule.command('set').description('replace the transfer windows, e.g. "Mon-Fri 22:00-07:00 Asia/Tokyo 20MB/s"').argument('[window...]')
    .option('--limit <rate>', 'rate inside windows that name none (e.g. 10MB/s)', parseRate)
    .option('--outside-limit <rate>', 'rate outside every window; 0 waits for a window', parseRate)
    .option('--metadata-limit <rate>', 'rate for metadata and previews outside windows (default 256KiB/s)', parseRate)
    .option('--busy-cpu <percent>', 'back off while other programs use more CPU than this (default 80)', (v: string) => Number(v) / 100)
    .option('--json', 'print JSON')
    .action(action(async (p, windows: string[], opts: { limit?: number, outsideLimit?: number, metadataLimit?: number, busyCpu?: number }) => {
      const report = await withWorkspace(async (ws) => {
        await (await settings()).setSchedule(ws, { windows, ...opts })
        return { report: await (await settings()).showSchedule(ws, Date.now()), timeZone: ws.config.timeZone }
      })
      printResult(p, report.report, () => describe(report.report, report.timeZone))
    }))
  schedule.command('show').description('the windows, limits and whether transfers may run now').option('--at <iso-time>', 'as at this time (ISO 8601)').option('--json', 'print JSON')
    .action(action(async (p, opts: { at?: string }) => {
      const { report, timeZone } = await withWorkspace(async (ws) => ({ report: await (await settings()).showSchedule(ws, parseAt(opts.at)), timeZone: ws.config.timeZone }))
      printResult(p, report, () => describe(report, timeZone))
    }))
}

/** --at ISO-TIME, or now. */
export function parseAt (at: string | undefined): number {
  if (at === undefined) return Date.now()
  const ms = Date.parse(at)
  if (Number.isNaN(ms)) throw GasError.badArgument(`--at "${at}" is not an ISO 8601 time (like 2026-12-01T22:00:00+09:00)`)
  return ms
}
