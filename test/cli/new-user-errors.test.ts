import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { skippedPaths } from '../../src/sync/skip-report.js'
import { gasInProcess, gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

/*
 * What a new user typed wrong, and what gas answered: one line `gas: CODE: message` (JSON with
 * --json), exit 2 for usage, and a message that says what to do next. Each case was seen trying
 * gas as a new member of a small team.
 */

const tmp = useTmp()

async function teamWorkspace (name = 'ana'): Promise<string> {
  const dir = tmp()
  expect((await gasInProcess(dir, ['init', '--name', name, '--team', 'orcs'])).status).toBe(0)
  return dir
}

describe('usage errors a new user meets', () => {
  it('are one line naming the help to read, as JSON under --json, from the real binary too', async () => {
    const dir = tmp()
    // commander's suggestion was a second line; the contract says one
    const typo = gasSync(dir, ['stats'])
    expect(typo.status).toBe(2)
    expect(typo.stderr).toBe('gas: E_BAD_ARGUMENT: unknown command \'stats\' (Did you mean one of stat, status?); see `gas --help`\n')
    const option = gasSync(dir, ['status', '--bogus'])
    expect(option.status).toBe(2)
    expect(option.stderr).toBe('gas: E_BAD_ARGUMENT: unknown option \'--bogus\'; see `gas status --help`\n')
    const missing = await gasInProcess(dir, ['meta', 'set'])
    expect(missing.status).toBe(2)
    expect(missing.stderr).toBe('gas: E_BAD_ARGUMENT: missing required argument \'path\'; see `gas meta set --help`\n')
    // --json: exactly one JSON document on stderr, nothing on stdout
    const json = gasSync(dir, ['commit', '--json'])
    expect(json.status).toBe(2)
    expect(json.stdout).toBe('')
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'E_BAD_ARGUMENT', message: 'required option \'-m, --message <msg>\' not specified; see `gas commit --help`' } })
  })

  it('a count or a port that is not a number is refused as typed (gas log -n printed nothing and exited 0)', async () => {
    const dir = await teamWorkspace()
    const log = await gasInProcess(dir, ['log', '-n', 'abc'])
    expect(log.status).toBe(2)
    expect(log.stderr).toBe('gas: E_BAD_ARGUMENT: "abc" is not a count: give a whole number, e.g. -n 10\n')
    expect((await gasInProcess(dir, ['log', '-n', '-1'])).status).toBe(2)
    expect((await gasInProcess(dir, ['log', '-n', '0'])).status).toBe(0)
    const port = await gasInProcess(dir, ['tracker', '--port', 'abc'])
    expect(port.status).toBe(2)
    expect(port.stderr).toMatch(/^gas: E_BAD_ARGUMENT: "abc" is not a port: give a number from 0 to 65535/)
    expect((await gasInProcess(dir, ['tracker', '--port', '70000'])).status).toBe(2)
  })

  it('serve and sync check --tracker, --peer, --listen and the team before they start (serve said "serving" first)', async () => {
    const dir = await teamWorkspace()
    const serve = await gasInProcess(dir, ['serve', '--tracker', 'notaurl'])
    expect(serve.status).toBe(2)
    expect(serve.stderr).toBe('gas: E_BAD_ARGUMENT: tracker URL must be ws://HOST:PORT or wss://HOST:PORT, not notaurl\n')
    const listen = await gasInProcess(dir, ['serve', '--listen', 'nowhere'])
    expect(listen.status).toBe(2)
    expect(listen.stderr).not.toContain('serving')
    // a --peer that is no address was skipped without a word
    const peer = await gasInProcess(dir, ['sync', '--once', '--peer', 'nonsense', '--json'])
    expect(peer.status).toBe(2)
    expect(peer.stdout).toBe('')
    expect(JSON.parse(peer.stderr).error.message).toMatch(/"nonsense" is not an address: write HOST:PORT/)
    const alone = tmp()
    expect((await gasInProcess(alone, ['init', '--name', 'zed'])).status).toBe(0)
    const noTeam = await gasInProcess(alone, ['serve'])
    expect(noTeam.status).toBe(2)
    expect(noTeam.stderr).toBe('gas: E_BAD_ARGUMENT: this workspace has no team: make one with `gas team create NAME`, or join one with `gas team join INVITE` first\n')
  })

  it('a bad invite names the file and how to get a good one, with this workspace\'s key', async () => {
    const lead = await teamWorkspace()
    const dir = tmp()
    expect((await gasInProcess(dir, ['init', '--name', 'bo'])).status).toBe(0)
    const me = JSON.parse((await gasInProcess(dir, ['whoami', '--json'])).stdout) as { publicKey: string }
    const cases: Array<[string, string, number, RegExp]> = [
      ['garbage.invite', 'not json', 2, /^gas: E_BAD_ARGUMENT: .*garbage\.invite: the invite is not valid JSON; ask your lead/],
      ['other.invite', '{"gasInvite": 1}', 2, /^gas: E_BAD_ARGUMENT: .*other\.invite: not a gas invite file; ask your lead/]
    ]
    // an invite the lead wrote for someone else's key
    const someone = tmp()
    expect((await gasInProcess(someone, ['init', '--name', 'cy'])).status).toBe(0)
    const theirs = JSON.parse((await gasInProcess(someone, ['whoami', '--json'])).stdout) as { publicKey: string }
    expect((await gasInProcess(lead, ['team', 'add', theirs.publicKey, '--name', 'cy', '--role', 'qa', '--out', join(dir, 'cy.invite')])).status).toBe(0)
    for (const [file, text, status, message] of cases) {
      writeFileSync(join(dir, file), text)
      const r = await gasInProcess(dir, ['team', 'join', file])
      expect(r.status).toBe(status)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).toContain(`\`gas team add ${me.publicKey} --name NAME --role ROLE --out FILE\``)
    }
    const wrongKey = await gasInProcess(dir, ['team', 'join', 'cy.invite'])
    expect(wrongKey.status).toBe(1)
    expect(wrongKey.stderr).toMatch(/^gas: E_AUTH: cy\.invite: this invite is for cy's key, not this workspace's .*; ask your lead for a new invite for this workspace's key: `gas team add /)
  })
})

describe('gas team add --role ROLE... (CLI.md)', () => {
  it('takes several roles after one flag, comma-separated, or the flag repeated', async () => {
    const lead = await teamWorkspace()
    const dir = tmp()
    expect((await gasInProcess(dir, ['init', '--name', 'bo'])).status).toBe(0)
    const me = JSON.parse((await gasInProcess(dir, ['whoami', '--json'])).stdout) as { publicKey: string }
    for (const roles of [['artist', 'qa'], ['artist,qa'], ['artist', '--role', 'qa']]) {
      const r = await gasInProcess(lead, ['team', 'add', me.publicKey, '--name', 'bo', '--role', ...roles, '--out', join(dir, 'bo.invite'), '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout).member.roles).toEqual(['artist', 'qa'])
    }
    // bo is a member now: another invite with other roles says what it does to them
    const changed = await gasInProcess(lead, ['team', 'add', me.publicKey, '--name', 'bo', '--role', 'qa', '--out', join(dir, 'bo2.invite')])
    expect(changed.status).toBe(0)
    expect(changed.stderr).toBe('gas: warning: bo is already a member with roles artist, qa; this invite gives them qa instead, on every peer once it spreads (`gas team roles` changes roles without an invite)\n')
    expect((await gasInProcess(lead, ['team', 'add', me.publicKey, '--name', 'bo', '--role', 'qa', '--out', join(dir, 'bo3.invite')])).stderr).toBe('')
    const typo = await gasInProcess(lead, ['team', 'add', me.publicKey, '--name', 'bo', '--role', 'artsit', '--out', join(dir, 'bo.invite')])
    expect(typo.status).toBe(2)
    expect(typo.stderr).toMatch(/^gas: E_BAD_ARGUMENT: unknown role "artsit"; one of lead, admin, artist/)
    const extra = await gasInProcess(lead, ['team', 'add', me.publicKey, 'oops', '--name', 'bo', '--role', 'qa', '--out', join(dir, 'bo.invite')])
    expect(extra.stderr).toBe('gas: E_BAD_ARGUMENT: too many arguments for \'add\'. Expected 1 argument but got 2; see `gas team add --help`\n')
  })
})

describe('what every peer would refuse', () => {
  it('an artist\'s gas build publish is refused at once, naming the role to ask for (peers refused the build at every sync)', async () => {
    const lead = await teamWorkspace()
    const dir = tmp()
    expect((await gasInProcess(dir, ['init', '--name', 'bo'])).status).toBe(0)
    const me = JSON.parse((await gasInProcess(dir, ['whoami', '--json'])).stdout) as { publicKey: string }
    expect((await gasInProcess(lead, ['team', 'add', me.publicKey, '--name', 'bo', '--role', 'artist', '--out', join(dir, 'bo.invite')])).status).toBe(0)
    expect((await gasInProcess(dir, ['team', 'join', 'bo.invite'])).status).toBe(0)
    const build = join(dir, 'Builds')
    ;(await import('node:fs')).mkdirSync(build)
    writeFileSync(join(build, 'game.exe'), 'MZ')
    const refused = await gasInProcess(dir, ['build', 'publish', build, '--name', 'orcs', '--version', '1.0.0'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toBe('gas: E_ACCESS_DENIED: your roles (artist) may not publish builds: the team\'s peers refuse refs/builds/* from them (see `gas team policy show`); a lead or admin can give you the build role: `gas team roles bo artist,build`\n')
    expect(JSON.parse((await gasInProcess(dir, ['build', 'list', '--json'])).stdout).builds).toEqual([])
    // the lead may, and so may anyone outside a team
    expect((await gasInProcess(lead, ['build', 'publish', build, '--name', 'orcs', '--version', '1.0.0'])).status).toBe(0)
    const alone = tmp()
    expect((await gasInProcess(alone, ['init', '--name', 'solo'])).status).toBe(0)
    expect((await gasInProcess(alone, ['build', 'publish', build, '--name', 'orcs', '--version', '1.0.0'])).status).toBe(0)
  })
})

describe('what a new user reads', () => {
  it('gas status gives a lock\'s expiry as gas locks does (it printed an ISO instant)', async () => {
    const dir = await teamWorkspace()
    writeFileSync(join(dir, 'hero.psd'), 'layers')
    expect((await gasInProcess(dir, ['add', 'hero.psd'])).status).toBe(0)
    expect((await gasInProcess(dir, ['commit', '-m', 'hero'])).status).toBe(0)
    expect((await gasInProcess(dir, ['lock', 'hero.psd', '--ttl', '2h'])).status).toBe(0)
    const locks = (await gasInProcess(dir, ['locks'])).stdout
    const until = /until (\d{4}-\d\d-\d\d \d\d:\d\d \S+)/.exec(locks)?.[1]
    expect(until).toBeDefined()
    const status = await gasInProcess(dir, ['status'])
    expect(status.stdout).toContain(`hero.psd by you until ${until as string}`)
    // the JSON keeps the instant
    expect(JSON.parse((await gasInProcess(dir, ['status', '--json'])).stdout).locked[0].expires).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/)
  })

  it('content missing because a peer dropped mid-sync says so, not "no peer holds it"', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    try {
      const outcome = { queued: {}, missingPaths: ['big/level.pak'], checkout: null }
      const [unsent] = await skippedPaths(ws, outcome)
      expect(unsent.detail).toContain('none holds it')
      const [dropped] = await skippedPaths(ws, { ...outcome, dropped: [{ peer: 'ana', code: 'E_PEER_LOST' }, { peer: 'ana', code: 'E_PEER_LOST' }] })
      expect(dropped).toEqual({ path: 'big/level.pak', reason: 'not-sent', detail: 'not all of it arrived: the connection to ana (E_PEER_LOST) ended during the sync; `gas sync` again resumes from what arrived' })
    } finally {
      await ws.close()
    }
  })
})

describe('a workspace inside a workspace', () => {
  it('gas init warns; the outer gas add . leaves the inner .gas (its private key) out instead of failing on it', async () => {
    const outer = tmp()
    expect((await gasInProcess(outer, ['init', '--name', 'ana'])).status).toBe(0)
    const inner = join(outer, 'tools')
    ;(await import('node:fs')).mkdirSync(inner)
    const init = await gasInProcess(inner, ['init', '--name', 'tool'])
    expect(init.status).toBe(0)
    expect(init.stderr).toMatch(/^gas: warning: this folder is inside the workspace .*; the new one here is separate/)
    writeFileSync(join(outer, 'a.txt'), 'a\n')
    const add = await gasInProcess(outer, ['add', '.', '--json'])
    expect(add.status, add.stderr).toBe(0)
    expect(JSON.parse(add.stdout).added.map((a: { path: string }) => a.path)).toEqual(['a.txt'])
    expect((await gasInProcess(outer, ['status', '--json'])).stdout).not.toContain('.gas/')
    // a first workspace gets no warning
    expect((await gasInProcess(tmp(), ['init', '--name', 'solo'])).stderr).toBe('')
  })
})

describe('a serve nobody can find', () => {
  it('says so, and how members can reach or find it', async () => {
    const { startGas, stopGas } = await import('../helpers/cli-team.js')
    const dir = await teamWorkspace()
    const gasBin = (await import('node:path')).resolve('bin/gas')
    let said = ''
    const child = startGas(() => [process.execPath, gasBin], dir, ['serve'])
    child.stderr?.on('data', (d: Buffer) => { said += d.toString() })
    try {
      await (await import('vitest')).vi.waitFor(() => expect(said).toContain('no tracker and LAN discovery off'), { timeout: 30_000, interval: 100 })
      expect(said).toContain('`gas team tracker URL` or `gas team lan on` let them find it, `gas team listen HOST:PORT` keeps the port')
    } finally {
      await stopGas(child)
    }
  }, 60_000)
})

describe('git hooks run by hand outside git', () => {
  it('gas hook pre-push says what it is for, not git\'s raw failure', async () => {
    const dir = tmp()
    const r = gasSync(dir, ['hook', 'pre-push'])
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`gas: E_BAD_ARGUMENT: ${dir} is not inside a git repository: git runs \`gas hook pre-push\` before a push, once \`gas hook install\` set it up there\n`)
  })
})

describe('gas team create', () => {
  it('makes a team of a workspace made without --team, keeping its history (the advice was a `gas init --team` that refused)', async () => {
    const dir = tmp()
    expect((await gasInProcess(dir, ['init', '--name', 'ana'])).status).toBe(0)
    writeFileSync(join(dir, 'rock.png'), 'not really a png')
    expect((await gasInProcess(dir, ['add', 'rock.png'])).status).toBe(0)
    expect((await gasInProcess(dir, ['commit', '-m', 'before the team'])).status).toBe(0)
    const add = await gasInProcess(dir, ['team', 'add', 'ab'.repeat(32), '--name', 'bo', '--role', 'artist', '--out', join(dir, 'bo.invite')])
    expect(add.status).toBe(2)
    expect(add.stderr).toContain('make one with `gas team create NAME`')
    const created = await gasInProcess(dir, ['team', 'create', 'orcs', '--json'])
    expect(created.status, created.stderr).toBe(0)
    const who = JSON.parse((await gasInProcess(dir, ['whoami', '--json'])).stdout)
    expect(who).toMatchObject({ member: 'ana', roles: ['lead'], team: JSON.parse(created.stdout).team })
    expect(JSON.parse((await gasInProcess(dir, ['log', '--json'])).stdout).versions).toHaveLength(1)
    expect((await gasInProcess(dir, ['team', 'add', 'ab'.repeat(32), '--name', 'bo', '--role', 'artist', '--out', join(dir, 'bo.invite')])).status).toBe(0)
    const again = await gasInProcess(dir, ['team', 'create', 'elves'])
    expect(again.status).toBe(1)
    expect(again.stderr).toBe('gas: E_ALREADY_EXISTS: this workspace is already in team orcs\n')
  })
})

describe('gas fsck on a damaged store', () => {
  it('ends with what to run next, and the object\'s message no longer says to run gas fsck itself', async () => {
    const fs = await import('node:fs')
    const dir = tmp()
    expect((await gasInProcess(dir, ['init', '--name', 'ana'])).status).toBe(0)
    writeFileSync(join(dir, 'level.bin'), (await import('node:crypto')).randomBytes(300_000))
    expect((await gasInProcess(dir, ['add', 'level.bin'])).status).toBe(0)
    expect((await gasInProcess(dir, ['commit', '-m', 'level'])).status).toBe(0)
    const packDir = join(dir, '.gas', 'objects', 'pack')
    const pack = fs.readdirSync(packDir).filter((f) => f.endsWith('.pack')).map((f) => join(packDir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]
    const bytes = fs.readFileSync(pack)
    bytes[150_000] ^= 0xff
    fs.writeFileSync(pack, bytes)
    const r = await gasInProcess(dir, ['fsck'])
    expect(r.status).toBe(1)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^E_CORRUPT_OBJECT [0-9a-f]{64}: object [0-9a-f]{64} is corrupt: .*; `gas fsck --repair` fetches a good copy from a peer$/)
    expect(lines[lines.length - 1]).toMatch(/^1 problem\(s\) in \d+ objects; `gas fsck --repair` sets damaged objects aside and fetches good copies from the peers$/)
  })
})

describe('paths and ports that name nothing', () => {
  it('gas ls PATH with nothing tracked there says so (it printed nothing and exited 0)', async () => {
    const dir = tmp()
    expect((await gasInProcess(dir, ['init', '--name', 'ana'])).status).toBe(0)
    writeFileSync(join(dir, 'rock.png'), 'x')
    expect((await gasInProcess(dir, ['add', 'rock.png'])).status).toBe(0)
    const r = await gasInProcess(dir, ['ls', 'textures'])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('gas: E_NOT_FOUND: tracked asset at or under textures (`gas ls` lists every one) not found\n')
    expect((await gasInProcess(dir, ['ls', 'rock.png'])).stdout).toContain('rock.png')
  })

  it('a tracker port in use names the likely cause and the way out', async () => {
    const { createServer } = await import('node:net')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const port = (server.address() as { port: number }).port
      const r = await gasInProcess(tmp(), ['tracker', '--host', '127.0.0.1', '--port', String(port)])
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/^gas: E_IO: tracker cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*; another program \(a tracker already running\?\) has that port: pick another with --port N \(0: any free port\)\n$/)
    } finally {
      server.close()
    }
  })
})
