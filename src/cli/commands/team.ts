import { readFile, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { createInvite, joinTeam } from '../../auth/invite.js'
import { addIceServers, describeIceServer, loadIceServers, parseIceServer } from '../../peer/transport/ice-config.js'
import { GasError, fromFsError } from '../../errors.js'
import { checkTrackerUrl } from '../../peer/discovery/tracker-url.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { registerTeamAccess } from './team-access.js'
import { explainInviteError } from '../invite-errors.js'
import { createTeam } from '../../auth/team-create.js'
import { teamMembers } from '../../auth/team-members.js'
import { parseHostPort } from '../../peer/transport/direct-handshake.js'

/** why: CLI.md writes `--role ROLE...` and `gas team roles` takes `sound,build`: both forms, and the flag repeated, give one list */
function collectRoles (value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((r) => r.trim()).filter((r) => r !== '')]
}

export function register (program: Command): void {
  const team = program.command('team').description('team membership')
  team.command('add').description('certify a member\'s key and write their invite (lead/admin only)').argument('<publicKey>')
    .requiredOption('--name <name>', 'member name').requiredOption('--role <role...>', 'roles: --role artist qa, --role artist,qa or the flag repeated (CLI.md: --role ROLE...)', collectRoles).requiredOption('--out <invite>', 'invite file to write')
    .option('--json', 'print JSON')
    .action(action(async (p, publicKey: string, opts: { name: string, role: string[], out: string }) => {
      const invite = await withWorkspace(async (ws) => {
        // why: a new invite for a known key is a new certificate: every peer then holds that member to these roles
        const known = ws.config.team === null ? undefined : (await teamMembers(ws)).find((m) => m.publicKey === publicKey.toLowerCase())
        const roles = [...new Set(opts.role)].sort()
        const created = await createInvite(ws, { publicKey, name: opts.name, roles: opts.role })
        if (known !== undefined && !known.revoked && [...known.roles].sort().join(',') !== roles.join(',')) {
          p.err(`gas: warning: ${known.name} is already a member with roles ${known.roles.join(', ')}; this invite gives them ${roles.join(', ')} instead, on every peer once it spreads (\`gas team roles\` changes roles without an invite)`)
        }
        return created
      })
      await writeFile(opts.out, JSON.stringify(invite, null, 2)).catch((err) => { throw fromFsError(err, opts.out) })
      printResult(p, { invite: opts.out, team: invite.team.id, member: invite.certificate.member }, () => `invite for ${opts.name} (${opts.role.join(', ')}) written to ${opts.out}`)
    }))
  team.command('create').description('make a team of this workspace, with you as lead (for a workspace made without --team)').argument('<name>').option('--json', 'print JSON')
    .action(action(async (p, name: string) => {
      const cert = await withWorkspace(async (ws) => await createTeam(ws, name))
      printResult(p, { team: cert.team, name, member: cert.member }, () => `created team ${name} with ${cert.member.name} as lead; invite members with \`gas team add PUBLICKEY --name NAME --role ROLE --out FILE\``)
    }))
  team.command('join').description('join the team an invite names').argument('<invite>').option('--json', 'print JSON')
    .action(action(async (p, file: string) => {
      const text = await readFile(file, 'utf8').catch((err) => { throw fromFsError(err, file) })
      const invite = await withWorkspace(async (ws) => await joinTeam(ws, text).catch((err) => { throw explainInviteError(err, file, ws.identity.publicKey) }))
      printResult(p, { team: invite.team.id, name: invite.team.name, roles: invite.certificate.member.roles, trackers: invite.trackers },
        () => `joined team ${invite.team.name} as ${invite.certificate.member.roles.join(', ')}`)
    }))
  team.command('tracker').description('add a tracker URL to this workspace (and to the invites it writes)').argument('<url>').option('--json', 'print JSON')
    .action(action(async (p, url: string) => {
      checkTrackerUrl(url)
      const trackers = await withWorkspace(async (ws) => {
        ws.config = { ...ws.config, trackers: [...new Set([...ws.config.trackers, url])] }
        await ws.saveConfig()
        return ws.config.trackers
      })
      printResult(p, { trackers }, () => `trackers: ${trackers.join(' ')}`)
    }))
  team.command('peer').description('add a direct (TLS) address of a team peer to try besides the trackers; without ADDRESS, list them')
    .argument('[address]', 'HOST:PORT where a member\'s `gas serve --listen` answers').option('--json', 'print JSON')
    .action(action(async (p, address: string | undefined) => {
      const peers = await withWorkspace(async (ws) => {
        if (address === undefined) return ws.config.peers ?? []
        parseHostPort(address)
        ws.config = { ...ws.config, peers: [...new Set([...(ws.config.peers ?? []), address])] }
        await ws.saveConfig()
        return ws.config.peers ?? []
      })
      printResult(p, { peers }, () => peers.length === 0 ? 'no direct addresses: peers are found through the trackers' : `direct addresses: ${peers.join(' ')}`)
    }))
  team.command('listen').description('where `gas serve` listens for direct (TLS) connections in this workspace').argument('<address>', 'HOST:PORT (:PORT for every interface)')
    .option('--json', 'print JSON')
    .action(action(async (p, address: string) => {
      parseHostPort(address, '0.0.0.0')
      await withWorkspace(async (ws) => {
        ws.config = { ...ws.config, listen: address }
        await ws.saveConfig()
      })
      printResult(p, { listen: address }, () => `gas serve listens on ${address}`)
    }))
  team.command('lan').description('find team peers on the local network by multicast (off by default)').argument('<on|off>')
    .option('--interface <address>', 'the local IPv4 address of the interface to use (default: the system\'s choice)')
    .option('--port <n>', 'UDP port (default 21047)').option('--json', 'print JSON')
    .action(action(async (p, state: string, opts: { interface?: string, port?: string }) => {
      if (state !== 'on' && state !== 'off') throw GasError.badArgument(`gas team lan takes on or off, not ${JSON.stringify(state)}`)
      const port = opts.port === undefined ? undefined : Number(opts.port)
      if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw GasError.badArgument(`--port must be a UDP port number, not ${JSON.stringify(opts.port)}`)
      const lan = await withWorkspace(async (ws) => {
        const { lan: _old, ...rest } = ws.config
        ws.config = state === 'on' ? { ...rest, lan: { ...(opts.interface !== undefined ? { interface: opts.interface } : {}), ...(port !== undefined ? { port } : {}) } } : rest
        await ws.saveConfig()
        return ws.config.lan ?? null
      })
      printResult(p, { lan }, () => lan === null ? 'LAN discovery off' : `LAN discovery on${lan.interface !== undefined ? ` (interface ${lan.interface})` : ''}`)
    }))
  team.command('ice').description('add a STUN server or TURN relay for this workspace\'s peers (and the invites it writes); without SERVER, list them')
    .argument('[server]', 'stun:HOST:PORT or turn:USER@HOST:PORT').option('--credential <secret>', 'the TURN user\'s secret (kept in .gas/ice.json and invites, never in versions)')
    .option('--json', 'print JSON')
    .action(action(async (p, spec: string | undefined, opts: { credential?: string }) => {
      const servers = await withWorkspace(async (ws) => spec === undefined ? await loadIceServers(ws.gasDir) : await addIceServers(ws.gasDir, [parseIceServer(spec, opts.credential)]))
      const shown = servers.map(describeIceServer)
      printResult(p, { ice: shown }, () => shown.length === 0 ? 'no STUN/TURN servers: peers connect only where host candidates reach' : `ICE servers: ${shown.join(' ')}`)
    }))
  registerTeamAccess(team)
}
