import type { Command } from 'commander'
import { peerSecurity } from '../../auth/peer-security.js'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const peerRepair = async () => await import('../../peer/sync/repair.js')
import { fsck } from '../../repo/fsck.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { collect } from '../parse.js'

export function register (program: Command): void {
  program.command('fsck').description('re-hash every object and check every ref; exit 1 on a problem')
    .option('--repair', 'set damaged objects aside and fetch good copies from the peers')
    .option('--tracker <url>', 'tracker URL for --repair (repeatable; default: the workspace\'s)', collect, [])
    .option('--json', 'print JSON')
    .action(action(async (p, opts: { repair?: boolean, tracker: string[] }) => {
      if (opts.repair === true) {
        const repair = await withWorkspace(async (ws) => await (await peerRepair()).repairFromPeers({ ws, trackers: opts.tracker, security: peerSecurity(ws) }))
        const report = repair.after
        printResult(p, { ok: report.ok, problems: report.problems, objects: report.objects, missingChunks: report.missingChunks, damaged: repair.damaged, repaired: repair.repaired, asked: repair.asked, unreachable: repair.unreachable, reindexed: repair.reindexed },
          () => [
            ...repair.reindexed.map((r) => `rewrote ${r.index}: the crc32 of ${r.ids.length} whole object(s) corrected`),
            repair.damaged.length === 0 ? (repair.reindexed.length === 0 ? 'nothing to repair' : 'no damaged object') : `repaired ${repair.repaired.length} of ${repair.damaged.length} damaged object(s)${repair.asked.length > 0 ? ` from ${repair.asked.join(', ')}` : ''}`,
            ...(repair.unreachable !== null ? [`no peer could be asked: ${repair.unreachable}`] : []),
            ...(report.ok ? [`ok: ${report.objects} objects verified`] : report.problems.map((x) => `${x.code} ${x.id}: ${x.message}`))
          ].join('\n'))
        return report.ok ? 0 : 1
      }
      const report = await withWorkspace(async (ws) => await fsck(ws))
      printResult(p, { ok: report.ok, problems: report.problems, objects: report.objects, missingChunks: report.missingChunks },
        () => report.ok
          ? `ok: ${report.objects} objects verified`
          : [...report.problems.map((x) => `${x.code} ${x.id}: ${x.message}`), `${report.problems.length} problem(s) in ${report.objects} objects; \`gas fsck --repair\` sets damaged objects aside and fetches good copies from the peers`].join('\n'))
      return report.ok ? 0 : 1
    }))
}
