import type { Command } from 'commander'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const lfs = async () => await import('../../hooks/lfs.js')
import { action } from '../action.js'
import { collect } from '../parse.js'
import { formatBytes } from '../../units.js'

export function register (program: Command): void {
  program.command('lfs-agent').description('Git LFS standalone custom transfer agent (run by git-lfs; JSON lines on stdin/stdout)')
    .option('--tracker <url>', 'tracker URL (repeatable; default: the workspace\'s)', collect, [])
    .action(action(async (p, opts: { tracker: string[] }) => {
      const report = await (await lfs()).serveLfsAgent({ cwd: process.cwd(), input: process.stdin, output: process.stdout, trackers: opts.tracker })
      // stdout belongs to git-lfs's protocol: the summary goes to stderr, which git-lfs logs
      if (report !== undefined) p.err(`gas lfs-agent: ${report.uploaded} uploaded, ${report.downloaded} downloaded, ${report.failed} failed, ${formatBytes(report.fetchedBytes)} fetched from peers in ${report.fetchSeconds.toFixed(3)} s`)
    }))
}
