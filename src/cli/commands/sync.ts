import type { Command } from 'commander'
import { syncWithPeers, type PeerSyncResult } from '../../peer/peer-node.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult, type Printer } from '../output.js'
import { collect } from '../parse.js'
import { progressBar } from '../progress.js'
import { peerSecurity } from '../../auth/peer-security.js'
import { selectiveSyncOptions } from '../../sync/workspace-policy.js'
import { registerSyncRules } from './sync-rules.js'
import { formatBytes } from '../../units.js'

/** Without --once, `gas sync` syncs again this often until SIGINT/SIGTERM. */
const REPEAT_MS = 30_000

function print (p: Printer, result: PeerSyncResult, totalSeconds: number): void {
  const seconds = { fetch: round3(result.fetchSeconds), total: round3(totalSeconds) }
  const rate = result.fetchSeconds > 0 && result.fetched.bytes > 0 ? ` in ${seconds.fetch} s (${(result.fetched.bytes / result.fetchSeconds / 1e6).toFixed(1)} MB/s)` : ''
  printResult(p, { fetched: result.fetched, sent: result.sent, peers: result.peers, conflicts: result.conflicts, missing: result.missing.length, checkout: result.checkout, merge: result.merge, queued: result.queued, seconds },
    () => [
      `${result.peers} peer(s); fetched ${result.fetched.objects} objects (${result.fetched.bytes} bytes)${rate}, sent ${result.sent.objects} (${result.sent.bytes} bytes)`,
      ...result.refs.filter((r) => r.action !== 'up-to-date').map((r) => `  ${r.ref}: ${r.action}`),
      ...result.conflicts.map((c) => `  ${c.ref} diverged from ${c.peer}: theirs recorded as ${c.remoteRef}`),
      ...(result.merge === null ? [] : [result.merge.error !== null ? `  not merged: ${result.merge.error}` : result.merge.version !== null ? `  merged ${result.merge.from} as ${result.merge.version.slice(0, 12)}` : `  merging ${result.merge.from}: ${result.merge.conflicts.length} conflict(s), see \`gas conflicts\``]),
      ...(result.queued.items > 0 ? [`  ${result.queued.items} asset(s) (${formatBytes(result.queued.bytes)}) queued for the next transfer window: see \`gas queue plan\`; \`gas serve\` fetches them when it opens`] : []),
      ...(result.checkout !== null ? [`  workspace now at ${result.checkout.version.slice(0, 12)}: ${result.checkout.written.length} written, ${result.checkout.removed.length} removed, ${result.checkout.skipped.length} skipped`] : []),
      ...(result.checkout?.conflicts ?? []).map((c) => `  CONFLICT ${c.path}: changed by the peer, and ${c.local === 'staged' ? 'staged' : 'edited'} here; your file is kept, see \`gas conflicts\``)
    ].join('\n'))
}

function round3 (n: number): number {
  return Math.round(n * 1000) / 1000
}

export function register (program: Command): void {
  program.command('sync').description('exchange versions with reachable team peers and fetch wanted content')
    .option('--tracker <url>', 'tracker URL (repeatable; default: the workspace\'s)', collect, [])
    .option('--once', 'return when done (default: sync again every 30 s until interrupted)').option('--json', 'print JSON')
    .action(action(async (p, opts: { tracker: string[], once?: boolean }) => {
      const stop = new AbortController()
      if (opts.once !== true) {
        process.once('SIGINT', () => stop.abort())
        process.once('SIGTERM', () => stop.abort())
      }
      do {
        const started = performance.now()
        const bar = p.json ? undefined : progressBar()
        const result = await withWorkspace(async (ws) => {
          const { wantContent, policyKey, notice, reload } = await selectiveSyncOptions(ws)
          const warn = (text: string | null): void => { if (text !== null) p.err(`gas: warning: ${text}`) }
          warn(notice)
          const synced = await syncWithPeers({ ws, trackers: opts.tracker, security: peerSecurity(ws), wantContent, policyKey, onProgress: (prog) => bar?.update(prog) })
          warn(await reload())
          return synced
        })
        bar?.stop()
        print(p, result, (performance.now() - started) / 1000)
        if (opts.once === true) break
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, REPEAT_MS)
          stop.signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
        })
      } while (!stop.signal.aborted)
    }))
  registerSyncRules(program.commands.find((c) => c.name() === 'sync') as Command)
}
