import type { Command } from 'commander'
import { servePeers } from '../../peer/peer-node.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { collect } from '../parse.js'
import { peerSecurity } from '../../auth/peer-security.js'

export function register (program: Command): void {
  program.command('serve').description('stay online and serve team peers (foreground, until SIGINT/SIGTERM)')
    .option('--tracker <url>', 'tracker URL (repeatable; default: the workspace\'s)', collect, [])
    .option('--json', 'print one JSON line per peer event')
    .action(action(async (p, opts: { tracker: string[] }) => {
      const stop = new AbortController()
      process.once('SIGINT', () => stop.abort())
      process.once('SIGTERM', () => stop.abort())
      await withWorkspace(async (ws) => {
        p.err(`serving ${ws.root} as ${ws.identity.name}`)
        await servePeers({
          ws,
          trackers: opts.tracker,
          security: peerSecurity(ws),
          signal: stop.signal,
          onPeer: (e) => { if (p.json) p.out(JSON.stringify(e)); else p.err(`${e.peer} ${e.state}${e.error !== undefined ? `: ${e.error}` : ''}`) }
        })
      })
    }))
}
