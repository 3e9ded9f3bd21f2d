import type { Command } from 'commander'
import { peerSecurity } from '../../auth/peer-security.js'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const peerNode = async () => await import('../../peer/peer-node.js')
import { restore } from '../../repo/restore.js'
import { contentToFetchFor, recordRestored } from '../../sync/fetch-plan.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('restore').description('write an asset as it was in a version').argument('<path>')
    .option('--version <rev>', 'id, prefix, tag, branch or REV~N (default HEAD)', 'HEAD').option('--out <file>', 'write here instead of in place').option('--force', 'overwrite changes in the workspace file that are not staged').option('--json', 'print JSON')
    .action(action(async (p, path: string, opts: { version: string, out?: string, force?: boolean }) => {
      const result = await withWorkspace(async (ws) => {
        // content selective sync left out is fetched from the peers first
        const roots = await contentToFetchFor(ws, { path, rev: opts.version, cwd: process.cwd() })
        if (roots.length > 0) await (await peerNode()).fetchFromPeers({ ws, trackers: [], security: peerSecurity(ws), roots })
        const restored = await restore(ws, { path, rev: opts.version, out: opts.out, cwd: process.cwd(), force: opts.force })
        await recordRestored(ws, restored)
        return restored
      })
      printResult(p, result, () => `restored ${result.path} from ${result.version.slice(0, 12)} to ${result.out} (${result.size} bytes)`)
    }))
}
