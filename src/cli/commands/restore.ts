import type { Command } from 'commander'
import { GasError } from '../../errors.js'
import { peerSecurity } from '../../auth/peer-security.js'
import { fetchFromPeers } from '../../peer/peer-node.js'
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
        const got = roots.length > 0 ? await fetchFromPeers({ ws, trackers: [], security: peerSecurity(ws), roots }) : undefined
        const refusedBy = [...new Set(got?.accessDenied.flatMap((d) => d.peers))]
        if (refusedBy.length > 0) throw new GasError('E_ACCESS_DENIED', `${path}: ${refusedBy.join(', ')} refused its content: your roles may not read it (ask a lead to change the team's read rules)`, { path, peers: refusedBy })
        const restored = await restore(ws, { path, rev: opts.version, out: opts.out, cwd: process.cwd(), force: opts.force })
        await recordRestored(ws, restored)
        return restored
      })
      printResult(p, result, () => `restored ${result.path} from ${result.version.slice(0, 12)} to ${result.out} (${result.size} bytes)`)
    }))
}
