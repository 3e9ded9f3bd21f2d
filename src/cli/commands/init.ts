import type { Command } from 'commander'
import { Workspace } from '../../repo/workspace.js'
import { issueLeadCertificate } from '../../auth/member-certificate.js'
import { action } from '../action.js'
import { printResult } from '../output.js'
import { enclosingWorkspace } from '../../repo/enclosing-workspace.js'

export function register (program: Command): void {
  program.command('init').description('create a workspace (.gas/) here, with a new member identity')
    .option('--name <name>', 'member name').option('--team <team>', 'also create a team with you as lead').option('--json', 'print JSON')
    .action(action(async (p, opts: { name?: string, team?: string }) => {
      const outer = enclosingWorkspace(process.cwd())
      const ws = await Workspace.init({ dir: process.cwd(), name: opts.name, team: opts.team })
      if (outer !== undefined) p.err(`gas: warning: this folder is inside the workspace ${outer}; the new one here is separate (its own history, identity and team), and the outer one's \`gas add .\` leaves it out. Meant to work in ${outer}? Remove ${ws.root}/.gas and run gas there`)
      if (opts.team !== undefined) await issueLeadCertificate(ws)
      await ws.close()
      printResult(p, { root: ws.root, member: ws.identity.name, publicKey: ws.identity.publicKey, team: ws.config.team?.id ?? null },
        () => `Initialised gas workspace in ${ws.root} for ${ws.identity.name}${ws.config.team !== null ? ` (team ${ws.config.team.name}, lead)` : ''}`)
    }))
}
