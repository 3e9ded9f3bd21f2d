import type { Command } from 'commander'
import { peerSecurity } from '../../auth/peer-security.js'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const peerNode = async () => await import('../../peer/peer-node.js')
import { planFetch, writeFetched } from '../../sync/fetch-plan.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { EXIT_FAILURE, printResult } from '../output.js'
import { collect } from '../parse.js'

export function register (program: Command): void {
  program.command('fetch').description('get the content of assets the rules leave out, from the peers, now (kept until `gas gc`)').argument('<paths...>')
    .option('--tracker <url>', 'tracker URL (repeatable; default: the workspace\'s)', collect, []).option('--json', 'print JSON')
    .action(action(async (p, paths: string[], opts: { tracker: string[] }) => {
      const result = await withWorkspace(async (ws) => {
        const plan = await planFetch(ws, { paths, cwd: process.cwd() })
        const fetched = plan.roots.length === 0 ? { objects: 0, bytes: 0 } : (await (await peerNode()).fetchFromPeers({ ws, trackers: opts.tracker, security: peerSecurity(ws), roots: plan.roots })).fetched
        return { fetched, ...await writeFetched(ws, plan) }
      })
      printResult(p, result, () => [
        `fetched ${result.fetched.objects} objects (${result.fetched.bytes} bytes)`,
        ...result.written.map((path) => `  ${path}`),
        ...result.skipped.map((path) => `  ${path}: fetched, not written (a file of yours is there)`),
        ...result.missing.map((path) => `  ${path}: no peer had it`)
      ].join('\n'))
      if (result.missing.length > 0) {
        const message = `${result.missing.length} asset(s) not fetched: no reachable peer had them`
        p.err(p.json ? JSON.stringify({ error: { code: 'E_SYNC_INCOMPLETE', message } }) : `gas: E_SYNC_INCOMPLETE: ${message}`)
        return EXIT_FAILURE
      }
    }))
}
