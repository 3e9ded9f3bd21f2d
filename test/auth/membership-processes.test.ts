import { type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { gasSpawn, gasSync } from '../helpers/cli.js'

/**
 * Membership proven on every connection, with real `gas` processes over real WebRTC on
 * 127.0.0.1: knowing the team id (it is the swarm's info hash, every tracker operator sees it) or
 * holding another team's certificate gets nothing, and serves nothing to members.
 */

// why: workspaces live across the tests of this file (one serving lead), so not useTmp's per-test folders
const dirs: string[] = []
const tmp = (): string => { const d = mkdtempSync(join(tmpdir(), 'gas-member-')); dirs.push(d); return d }
let tracker: RunningTracker
const serves: ChildProcess[] = []

function gas (cwd: string, ...args: string[]): string {
  const r = gasSync(cwd, args)
  if (r.status !== 0) throw new Error(`gas ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

function config (dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, '.gas', 'config.json'), 'utf8')) as Record<string, unknown>
}

/** A member of `leadDir`'s team, through `gas team add` / `gas team join` as a user does it. */
function member (leadDir: string, name: string): string {
  const dir = tmp()
  gas(dir, 'init', '--name', name)
  const { publicKey } = JSON.parse(gas(dir, 'whoami', '--json')) as { publicKey: string }
  const invite = join(dir, 'invite.json')
  gas(leadDir, 'team', 'add', publicKey, '--name', name, '--role', 'artist', '--out', invite)
  gas(dir, 'team', 'join', invite)
  return dir
}

function commitFile (dir: string, file: string, text: string): void {
  writeFileSync(join(dir, file), text)
  gas(dir, 'add', file)
  gas(dir, 'commit', '-m', `add ${file}`)
}

/** Starts `gas serve --json`; resolves once it runs, with the peer events it prints. */
async function serve (dir: string): Promise<Array<{ peer: string, state: string, error?: string }>> {
  return (await serveProcess(dir)).events
}

async function serveProcess (dir: string): Promise<{ child: ChildProcess, events: Array<{ peer: string, state: string, error?: string }> }> {
  const child = gasSpawn(dir, ['serve', '--json', '--tracker', tracker.url])
  serves.push(child)
  const events: Array<{ peer: string, state: string, error?: string }> = []
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    const lines = out.split('\n')
    out = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') events.push(JSON.parse(line))
  })
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => { if (chunk.toString().includes('serving')) resolve() })
    child.once('exit', (code) => reject(new Error(`gas serve exited ${code}`)))
  })
  return { child, events }
}

/** why: asynchronously, since the tracker runs in this process and spawnSync would stop it answering */
async function syncOnce (dir: string): Promise<{ status: number, stdout: string, stderr: string }> {
  const child = gasSpawn(dir, ['sync', '--once', '--json', '--tracker', tracker.url])
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const status = await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)))
  return { status, stdout, stderr }
}

/**
 * Syncs until `reached()` (a serve may not be announced yet when it says "serving"; discovery
 * timing is not what this file tests), at most 5 times. A refusal only counts once the
 * connection was made, so callers wait for the serving side to have seen this peer.
 */
async function syncUntil (dir: string, reached: () => boolean): Promise<{ status: number, stdout: string, stderr: string }> {
  let r = await syncOnce(dir)
  for (let i = 0; i < 4 && !reached(); i++) r = await syncOnce(dir)
  expect(reached(), `${r.stdout}${r.stderr}\nlead's serve saw: ${JSON.stringify(anaEvents)}`).toBe(true)
  return r
}

function versions (dir: string): unknown[] {
  return (JSON.parse(gas(dir, 'log', '--json')) as { versions: unknown[] }).versions
}

let ana: string
let bo: string
let anaEvents: Array<{ peer: string, state: string, error?: string }>
let anaServe: ChildProcess
let mallory: string

async function stopServes (): Promise<void> {
  for (const child of serves) child.kill('SIGTERM')
  await Promise.all(serves.map(async (child) => await new Promise((resolve) => child.exitCode !== null ? resolve(null) : child.once('exit', resolve))))
}

beforeAll(async () => {
  tracker = await startTracker({ port: 0, host: '127.0.0.1' })
  ana = tmp()
  gas(ana, 'init', '--name', 'ana', '--team', 'orcs')
  commitFile(ana, 'secret.txt', 'the orcs attack at dawn')
  bo = member(ana, 'bo')
  ;({ child: anaServe, events: anaEvents } = await serveProcess(ana))
})

afterAll(async () => {
  await stopServes()
  await tracker.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

// why: each test runs several gas processes and up to five syncs; a loaded machine needs the room
describe('membership over real WebRTC between gas processes', { timeout: 150_000 }, () => {
  it('a member syncs from the lead (the lead proves membership with the certificate `gas init --team` gave it)', async () => {
    // why: the version, not the file: whether a member's workspace holds a document's content is its sync policy's business
    const r = await syncUntil(bo, () => versions(bo).length > 0)
    expect(r.status, r.stderr).toBe(0)
    expect(anaEvents).toContainEqual({ peer: 'bo', state: 'connected' })
    expect(versions(bo)).toEqual(versions(ana))
  })

  it('an outsider who wrote the team into its config by hand gets nothing', async () => {
    mallory = tmp()
    gas(mallory, 'init', '--name', 'mallory')
    writeFileSync(join(mallory, '.gas', 'config.json'), JSON.stringify({ ...config(mallory), team: config(ana).team }, null, 2))
    const seen = anaEvents.length
    const r = await syncUntil(mallory, () => anaEvents.length > seen)
    expect(existsSync(join(mallory, 'secret.txt'))).toBe(false)
    expect(versions(mallory)).toEqual([])
    if (r.status === 0) expect(JSON.parse(r.stdout).fetched).toEqual({ objects: 0, bytes: 0 })
    // the lead never counted it as connected
    expect(anaEvents.slice(seen).filter((e) => e.state === 'connected')).toEqual([])
  })

  it('a non-member with a stolen invite gets nothing: join refuses it, and the certificate copied in by hand proves nothing', async () => {
    const eve = tmp()
    gas(eve, 'init', '--name', 'eve')
    const stolen = join(bo, 'invite.json')
    const joined = gasSync(eve, ['team', 'join', stolen])
    expect(joined.status).toBe(1)
    expect(joined.stderr).toMatch(/^gas: E_AUTH: this invite is for bo's key, not this workspace's/)
    // eve forces it: the invite's certificate and team written into her workspace
    const invite = JSON.parse(readFileSync(stolen, 'utf8')) as { team: unknown, certificate: unknown }
    writeFileSync(join(eve, '.gas', 'certificate.json'), JSON.stringify(invite.certificate))
    writeFileSync(join(eve, '.gas', 'config.json'), JSON.stringify({ ...config(eve), team: invite.team, roles: ['artist'] }, null, 2))
    const refused = (): boolean => anaEvents.some((e) => e.state === 'closed' && /eve presented bo's certificate|certificate is for another key|not signed/.test(e.error ?? ''))
    const seen = anaEvents.length
    const r = await syncUntil(eve, refused)
    expect(existsSync(join(eve, 'secret.txt'))).toBe(false)
    expect(versions(eve)).toEqual([])
    if (r.status === 0) expect(JSON.parse(r.stdout).fetched).toEqual({ objects: 0, bytes: 0 })
    expect(anaEvents.slice(seen).filter((e) => e.state === 'connected')).toEqual([])
    expect(refused()).toBe(true)
  })

  it('a member of another team (its certificate, the orcs team id in its config) is refused by the lead and serves nothing to members', async () => {
    const elrond = tmp()
    gas(elrond, 'init', '--name', 'elrond', '--team', 'elves')
    const legolas = member(elrond, 'legolas')
    writeFileSync(join(legolas, '.gas', 'config.json'), JSON.stringify({ ...config(legolas), team: config(ana).team }, null, 2))
    const refused = (): boolean => anaEvents.some((e) => e.state === 'closed' && /legolas's certificate is for another team/.test(e.error ?? ''))
    const r = await syncUntil(legolas, refused)
    expect(existsSync(join(legolas, 'secret.txt'))).toBe(false)
    expect(versions(legolas)).toEqual([])
    if (r.status === 0) expect(JSON.parse(r.stdout).fetched).toEqual({ objects: 0, bytes: 0 })

    // legolas serves alone (ana stops), so bo's sync meets it for sure
    anaServe.kill('SIGTERM')
    await new Promise((resolve) => anaServe.exitCode !== null ? resolve(null) : anaServe.once('exit', resolve))
    commitFile(legolas, 'elvish.txt', 'a forged version for the orcs')
    const legolasEvents = await serve(legolas)
    const before = versions(bo)
    await syncUntil(bo, () => legolasEvents.length > 0)
    expect(existsSync(join(bo, 'elvish.txt'))).toBe(false)
    expect(versions(bo)).toEqual(before)
    // the connection was made (legolas saw bo), and bo refused what legolas offered
    expect(legolasEvents.map((e) => e.peer)).toContain('bo')
  })

  it('the outsider cannot serve members either: its own side refuses to pretend, and members get nothing', async () => {
    await stopServes()
    commitFile(mallory, 'fake.txt', 'the orcs retreat')
    const malloryEvents = await serve(mallory)
    const before = versions(bo)
    await syncUntil(bo, () => malloryEvents.length > 0)
    expect(malloryEvents[0]).toMatchObject({ state: 'closed', error: expect.stringMatching(/holds no certificate of team orcs.*gas team join/) })
    expect(existsSync(join(bo, 'fake.txt'))).toBe(false)
    expect(versions(bo)).toEqual(before)
  })
})
