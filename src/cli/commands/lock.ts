import type { Command } from 'commander'
import { lock, unlock } from '../../auth/locks.js'
import { describeLock, formatWallClock, lockJson } from '../../repo/lock-format.js'
import { activeLocks } from '../../repo/lock-store.js'
import { DEFAULT_LOCK_TTL_MS, parseTtl } from '../../repo/lock-ttl.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('lock').description(`lock an asset for yourself (a signed lease peers see; default ${DEFAULT_LOCK_TTL_MS / 3600_000}h)`)
    .argument('<path>', 'the asset to lock')
    .option('--ttl <duration>', 'how long the lock lasts: 8h, 30m, 1h30m, 2d (default 8h, at most 30d)')
    .option('-m, --message <reason>', 'why, shown to the team').option('--json', 'print JSON')
    .action(action(async (p, path: string, opts: { ttl?: string, message?: string }) => {
      const ttlMs = opts.ttl !== undefined ? parseTtl(opts.ttl) : undefined
      const out = await withWorkspace(async (ws) => {
        const result = await lock({ ws, path: ws.relativePath(path, process.cwd()), ttlMs, reason: opts.message })
        return { ...result, timeZone: ws.config.timeZone }
      })
      printResult(p, { lock: lockJson(out.lock), renewed: out.renewed },
        () => `${out.renewed ? 'renewed' : 'locked'} ${out.lock.path} until ${formatWallClock(out.lock.expires, out.timeZone)}; peers learn of it at their next sync`)
    }))

  program.command('unlock').description('release your lock (a lead or admin may --break another member\'s)')
    .argument('<path>', 'the locked asset').option('--break', 'end another member\'s lock (lead/admin; recorded and signed)').option('--json', 'print JSON')
    .action(action(async (p, path: string, opts: { break?: boolean }) => {
      const result = await withWorkspace(async (ws) => await unlock({ ws, path: ws.relativePath(path, process.cwd()), break: opts.break }))
      printResult(p, result, () => result.broken ? `broke ${result.holder}'s lock on ${result.path} (recorded, signed by you)` : `unlocked ${result.path}`)
    }))

  program.command('locks').description('list the locks in force')
    .option('--json', 'print JSON')
    .action(action(async (p) => {
      const out = await withWorkspace(async (ws) => ({ locks: await activeLocks(ws), me: ws.identity.publicKey, timeZone: ws.config.timeZone }))
      printResult(p, { locks: out.locks.map((l) => ({ ...lockJson(l), mine: l.holder.publicKey === out.me })) },
        () => out.locks.length === 0 ? 'no locks' : out.locks.map((l) => `${l.path}  ${describeLock(l, out.timeZone)}${l.holder.publicKey === out.me ? '  (you)' : ''}`).join('\n'))
    }))
}
