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
  // why 'announced to', not 'serving': a sync started before the tracker knows this serve would not meet it, and would wait in vain
  return (await serveLogged(dir, 'announced to')).events
}

/** Starts `gas serve --json` and resolves once its stderr says `ready`, with its peer events and its stderr so far. */
async function serveLogged (dir: string, ready: string): Promise<{ events: Array<{ peer: string, state: string, error?: string }>, stderr: () => string }> {
  const child = gasSpawn(dir, ['serve', '--json', '--tracker', tracker.url])
  serves.push(child)
  const events: Array<{ peer: string, state: string, error?: string }> = []
  let out = ''
  let err = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    const lines = out.split('\n')
    out = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') events.push(JSON.parse(line))
  })
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString(); if (err.includes(ready)) resolve() })
    child.once('exit', (code) => reject(new Error(`gas serve exited ${code}`)))
  })
  return { events, stderr: () => err }
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
async function syncUntil (dir: string, reached: (last: { stdout: string }) => boolean): Promise<{ status: number, stdout: string, stderr: string }> {
  let r = await syncOnce(dir)
  for (let i = 0; i < 4 && !reached(r); i++) r = await syncOnce(dir)
  expect(reached(r), `${r.stdout}${r.stderr}\nlead's serve saw: ${JSON.stringify(anaEvents)}`).toBe(true)
  return r
}

function versions (dir: string): unknown[] {
  return (JSON.parse(gas(dir, 'log', '--json')) as { versions: unknown[] }).versions
}

let ana: string
let bo: string
let anaEvents: Array<{ peer: string, state: string, error?: string }>
let mallory: string
/** the lead's direct (TLS) port, which an outsider's sync names when it drops the lead */
let anaPort: string

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
  // 'announced to' comes after the direct listener's line, whose port the outsider's test looks for
  const anaServe = await serveLogged(ana, 'announced to')
  anaEvents = anaServe.events
  anaPort = /listening for direct connections on .*:(\d+)/.exec(anaServe.stderr())?.[1] ?? 'none'
})

afterAll(async () => {
  await stopServes()
  await tracker.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** The lead counted no one but bo as connected (the refusal tests run side by side, so this holds across all of them). */
function onlyBoConnected (): void {
  expect(anaEvents.filter((e) => e.state === 'connected').map((e) => e.peer).filter((p) => p !== 'bo')).toEqual([])
}

/** The peers a sync dropped (its --json document; on E_NO_PEERS inside the error's data). */
function droppedBy (stdout: string): Array<{ peer: string, code: string, message: string }> {
  try {
    const doc = JSON.parse(stdout) as { dropped?: [], error?: { data?: { dropped?: [] } } }
    return doc.dropped ?? doc.error?.data?.dropped ?? []
  } catch { return [] }
}

// why: each test runs several gas processes and up to five syncs; a loaded machine needs the room.
// why concurrent: a refused sync waits COUNTED_PEERS_WAIT_MS (25 s) for the peer the tracker counts,
// so the three outsiders' refusals by the lead run side by side (each its own workspace and name)
describe('membership over real WebRTC between gas processes', { timeout: 150_000 }, () => {
  it('a member syncs from the lead (the lead proves membership with the certificate `gas init --team` gave it)', async () => {
    // why: the version, not the file: whether a member's workspace holds a document's content is its sync policy's business
    const r = await syncUntil(bo, () => versions(bo).length > 0)
    expect(r.status, r.stderr).toBe(0)
    expect(anaEvents).toContainEqual({ peer: 'bo', state: 'connected' })
    expect(versions(bo)).toEqual(versions(ana))
  })

  it.concurrent('an outsider who wrote the team into its config by hand gets nothing', async () => {
    mallory = tmp()
    gas(mallory, 'init', '--name', 'mallory')
    writeFileSync(join(mallory, '.gas', 'config.json'), JSON.stringify({ ...config(mallory), team: config(ana).team }, null, 2))
    // the connection to the lead was made: mallory's own side dropped it (the lead's event names only a tcp address,
    // and the other outsiders sync meanwhile), so the lead's direct port in mallory's report is the evidence
    const metLead = (last: { stdout: string }): boolean => droppedBy(last.stdout).some((d) => d.code === 'E_AUTH' && d.peer.endsWith(`:${anaPort}`) && /holds no certificate of team orcs/.test(d.message))
    const r = await syncUntil(mallory, metLead)
    expect(existsSync(join(mallory, 'secret.txt'))).toBe(false)
    expect(versions(mallory)).toEqual([])
    if (r.status === 0) expect(JSON.parse(r.stdout).fetched).toEqual({ objects: 0, bytes: 0 })
    // the refused proof is the reason given, not a missing network path
    else expect(JSON.parse(r.stdout).error.code).toBe('E_NO_PEERS')
    // the lead never counted it as connected
    onlyBoConnected()
  })

  it.concurrent('a non-member with a stolen invite gets nothing: join refuses it, and the certificate copied in by hand proves nothing', async () => {
    const eve = tmp()
    gas(eve, 'init', '--name', 'eve')
    const stolen = join(bo, 'invite.json')
    const joined = gasSync(eve, ['team', 'join', stolen])
    expect(joined.status).toBe(1)
    expect(joined.stderr).toMatch(/^gas: E_AUTH: .*invite\.json: this invite is for bo's key, not this workspace's .*; ask your lead for a new invite/)
    // eve forces it: the invite's certificate and team written into her workspace
    const invite = JSON.parse(readFileSync(stolen, 'utf8')) as { team: unknown, certificate: unknown }
    writeFileSync(join(eve, '.gas', 'certificate.json'), JSON.stringify(invite.certificate))
    writeFileSync(join(eve, '.gas', 'config.json'), JSON.stringify({ ...config(eve), team: invite.team, roles: ['artist'] }, null, 2))
    const refused = (): boolean => anaEvents.some((e) => e.state === 'closed' && /eve presented bo's certificate|certificate is for another key|not signed/.test(e.error ?? ''))
    const r = await syncUntil(eve, refused)
    expect(existsSync(join(eve, 'secret.txt'))).toBe(false)
    expect(versions(eve)).toEqual([])
    if (r.status === 0) expect(JSON.parse(r.stdout).fetched).toEqual({ objects: 0, bytes: 0 })
    onlyBoConnected()
    expect(refused()).toBe(true)
  })

  let legolas: string
  it.concurrent('a member of another team (its certificate, the orcs team id in its config) is refused by the lead', async () => {
    const elrond = tmp()
    gas(elrond, 'init', '--name', 'elrond', '--team', 'elves')
    legolas = member(elrond, 'legolas')
    writeFileSync(join(legolas, '.gas', 'config.json'), JSON.stringify({ ...config(legolas), team: config(ana).team }, null, 2))
    const refused = (): boolean => anaEvents.some((e) => e.state === 'closed' && /legolas's certificate is for another team/.test(e.error ?? ''))
    const r = await syncUntil(legolas, refused)
    expect(existsSync(join(legolas, 'secret.txt'))).toBe(false)
    expect(versions(legolas)).toEqual([])
    if (r.status === 0) expect(JSON.parse(r.stdout).fetched).toEqual({ objects: 0, bytes: 0 })
    onlyBoConnected()
  })

  it('that member of another team serves nothing to members: bo refuses what legolas offers', async () => {
    // legolas serves alone (ana stops), so bo's sync meets it for sure
    await stopServes()
    commitFile(legolas, 'elvish.txt', 'a forged version for the orcs')
    const legolasEvents = await serve(legolas)
    const before = versions(bo)
    // the connection was made (legolas saw it), and bo refused legolas: in the TCP proof or in HELLO
    const refusedLegolas = (last: { stdout: string }): boolean => legolasEvents.length > 0 && droppedBy(last.stdout).some((d) => d.code === 'E_AUTH' && /legolas/.test(d.message))
    const started = Date.now()
    const r = await syncUntil(bo, refusedLegolas)
    expect(existsSync(join(bo, 'elvish.txt'))).toBe(false)
    expect(versions(bo)).toEqual(before)
    expect(r.stdout).toMatch(/E_NO_PEERS/)
    // a refusal is final: bo's sync does not wait COUNTED_PEERS_WAIT_MS (25 s) for the peer it refused
    expect(Date.now() - started).toBeLessThan(25_000)
  })

  it('the outsider cannot serve members either: its own side refuses to pretend, and members get nothing', async () => {
    // why not beside legolas's serve: the two serves meet each other, and mallory's first event must be bo's
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
