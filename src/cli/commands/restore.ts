import { join } from 'node:path'
import type { Command } from 'commander'
import { GasError } from '../../errors.js'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const peerNode = async () => await import('../../peer/sync/peer-node.js')
// why: only a restore whose content selective sync left out asks peers; the rest starts without the auth modules
const peerSecurityOf = async () => (await import('../../auth/peer-security.js')).peerSecurity
const arrivingFilesOf = async () => (await import('../../repo/arriving-files.js')).ArrivingFiles
import { restore } from '../../repo/restore.js'
import { contentToFetchFor, recordRestored } from '../../sync/fetch-plan.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { fileProgress } from '../progress.js'
import { formatBytes } from '../../units.js'

export function register (program: Command): void {
  program.command('restore').description('write an asset as it was in a version').argument('<path>')
    .option('--version <rev>', 'id, prefix, tag, branch or REV~N', 'HEAD').option('--out <file>', 'write here instead of in place').option('--force', 'overwrite changes in the workspace file that are not staged').option('--json', 'print JSON')
    .action(action(async (p, path: string, opts: { version: string, out?: string, force?: boolean }) => {
      const bar = p.json ? undefined : fileProgress()
      const result = await withWorkspace(async (ws) => {
        // content selective sync left out is fetched from the peers first
        const roots = await contentToFetchFor(ws, { path, rev: opts.version, cwd: process.cwd() })
        let refusedBy: string[] = []
        // a large file fetched now is written while its chunks arrive, then moved to where the restore writes
        const arriving = roots.length > 0 ? new (await arrivingFilesOf())(ws.fs, join(ws.gasDir, 'tmp')) : undefined
        try {
          if (roots.length > 0) {
            const got = await (await peerNode()).fetchFromPeers({ ws, trackers: [], security: (await peerSecurityOf())(ws), roots, arriving })
            refusedBy = [...new Set(got.accessDenied.flatMap((d) => d.peers))]
          }
          if (refusedBy.length > 0) throw new GasError('E_ACCESS_DENIED', `${path}: ${refusedBy.join(', ')} refused its content: your roles may not read it (ask a lead to change the team's read rules)`, { path, peers: refusedBy })
          const restored = await restore(ws, { path, rev: opts.version, out: opts.out, cwd: process.cwd(), force: opts.force, prepared: arriving, onProgress: bar === undefined ? undefined : (bytes, size) => bar.onFile(path, bytes, size) })
          await recordRestored(ws, restored)
          return restored
        } finally {
          await arriving?.discard()
        }
      }).finally(() => bar?.stop())
      printResult(p, result, () => `restored ${result.path} from ${result.version.slice(0, 12)} to ${result.out} (${formatBytes(result.size)})`)
    }))
}
