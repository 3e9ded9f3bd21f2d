import type { Command } from 'commander'
import { detectEngine } from '../../sync/workspace-policy.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('whoami').description('show this member and team').option('--json', 'print JSON')
    .action(action(async (p) => {
      const result = await withWorkspace(async (ws) => ({ member: ws.identity.name, publicKey: ws.identity.publicKey, team: ws.config.team?.id ?? null, roles: ws.config.roles, engine: await detectEngine(ws) }))
      printResult(p, result, () => `${result.member} ${result.publicKey}${result.team !== null ? `\nteam ${result.team} roles ${result.roles.join(',')}` : ''}${result.engine !== null ? `\nengine ${result.engine}` : ''}`)
    }))
}
