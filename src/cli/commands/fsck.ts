import type { Command } from 'commander'
import { fsck } from '../../repo/fsck.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('fsck').description('re-hash every object and check every ref; exit 1 on a problem').option('--json', 'print JSON')
    .action(action(async (p) => {
      const report = await withWorkspace(async (ws) => await fsck(ws))
      printResult(p, { ok: report.ok, problems: report.problems, objects: report.objects, missingChunks: report.missingChunks },
        () => report.ok ? `ok: ${report.objects} objects verified` : report.problems.map((x) => `${x.code} ${x.id}: ${x.message}`).join('\n'))
      return report.ok ? 0 : 1
    }))
}
