import type { Command } from 'commander'
import { GasError, isGasError } from '../../errors.js'
import type { TrackerStatus } from '../../peer/discovery/discovery.js'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const peerNode = async () => await import('../../peer/sync/peer-node.js')
const trackerReport = async () => await import('../../peer/discovery/tracker-report.js')
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import type { Printer } from '../output.js'
import { collect } from '../parse.js'
import { peerSecurity } from '../../auth/peer-security.js'
import { lockExchangeOf } from '../../auth/lock-exchange-of.js'
import { formatHostPort } from '../../peer/transport/direct-handshake.js'
import { checkPeerOptions } from '../peer-options.js'
import { peerReporter } from '../peer-reporter.js'
import { pulledReporter } from '../pulled-report.js'
import { selectiveSyncOptions } from '../../sync/workspace-policy.js'
import { claimServe } from '../../repo/serve-lock.js'

/**
 * Says once per tracker that it answered our announce (from then on it introduces us to peers),
 * so a person, or a script, knows when this peer can be found, not only that it started.
 */
function announceReporter (p: Printer): (tracker: string, others: number) => void {
  const told = new Set<string>()
  return (tracker, others) => {
    if (told.has(tracker)) return
    told.add(tracker)
    // on stderr in both modes, like the listening line: --json's stdout carries peer events
    p.err(`announced to ${tracker}: ${others} other peer(s) of the team online`)
  }
}

/** Says once that a tracker is down (with the cause) and once that it is back, not on every retry. */
function trackerReporter (p: Printer): (status: TrackerStatus) => void {
  const down = new Set<string>()
  return (status) => {
    if (status.state === 'down') {
      if (down.has(status.tracker)) return
      down.add(status.tracker)
      void trackerReport().then(async (m) => await m.diagnoseTracker(status.tracker)).then((why) => {
        const detail = why.answer === 'no-answer' ? status.error ?? 'connection lost' : `${why.answer}: ${why.detail}`
        if (p.json) p.out(JSON.stringify({ tracker: status.tracker, state: 'down', error: detail }))
        else p.err(`tracker ${status.tracker} down (${detail}); retrying with backoff, serving the peers already connected`)
      })
    } else if (down.delete(status.tracker)) {
      if (p.json) p.out(JSON.stringify({ tracker: status.tracker, state: 'up' }))
      else p.err(`tracker ${status.tracker} reachable again; announced`)
    }
  }
}

export function register (program: Command): void {
  program.command('serve').description('stay online and serve team peers (foreground, until SIGINT/SIGTERM)')
    .option('--tracker <url>', 'tracker URL (repeatable; default: the workspace\'s)', collect, [])
    .option('--listen <host:port>', 'direct (TLS) path: where to listen (default: the workspace\'s, else every interface on a free port)')
    .option('--no-direct', 'no direct path: WebRTC only')
    .option('--json', 'print one JSON line per peer event')
    .action(action(async (p, opts: { tracker: string[], listen?: string, direct: boolean }) => {
      const stop = new AbortController()
      const onSignal = (): void => stop.abort()
      // a daemon ends on a signal or on a fatal error it names, never silently
      let fatal: GasError | undefined
      const onFatal = (err: unknown): void => {
        const message = err instanceof Error ? err.message : String(err)
        fatal = new GasError(isGasError(err) ? err.code : 'E_IO', `serve stopped: ${message}`, isGasError(err) ? err.data : {})
        stop.abort()
      }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      process.on('uncaughtException', onFatal)
      process.on('unhandledRejection', onFatal)
      try {
        await withWorkspace(async (ws) => {
          checkPeerOptions(ws, { tracker: opts.tracker, listen: opts.direct ? opts.listen : undefined })
          const release = await claimServe(ws.fs, ws.gasDir)
          try {
            p.err(`serving ${ws.root} as ${ws.identity.name}`)
            await (await peerNode()).servePeers({
              ws,
              trackers: opts.tracker,
              security: peerSecurity(ws),
              locks: lockExchangeOf(ws),
              signal: stop.signal,
              listen: opts.direct ? opts.listen : null,
              // on stderr in both modes: --json's stdout carries peer events only
              onListening: (at) => {
                p.err(`listening for direct connections on ${formatHostPort(at)}`)
                // nobody can find a serve with no tracker and no LAN discovery: say how they can
                if (opts.tracker.length === 0 && ws.config.trackers.length === 0 && ws.config.lan === undefined) {
                  p.err(`no tracker and LAN discovery off: members reach this serve only at an address they were given (\`gas sync --peer HOST:${ws.config.listen === undefined ? 'PORT' : at.port}\`); \`gas team tracker URL\` or \`gas team lan on\` let them find it${ws.config.listen === undefined ? ', `gas team listen HOST:PORT` keeps the port' : ''}`)
                }
              },
              onTracker: trackerReporter(p),
              onAnnounced: announceReporter(p),
              onPeer: peerReporter(p),
              // a member that connects with versions we lack: taken under this workspace's rules, read again each time
              policy: async () => await selectiveSyncOptions(ws),
              onPulled: pulledReporter(p)
            })
          } finally {
            await release()
          }
        })
      } finally {
        process.removeListener('SIGINT', onSignal)
        process.removeListener('SIGTERM', onSignal)
        process.removeListener('uncaughtException', onFatal)
        process.removeListener('unhandledRejection', onFatal)
      }
      if (fatal !== undefined) throw fatal
    }))
}
