import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'

/**
 * Two Syncthing instances on 127.0.0.1 (Debian's `syncthing`, 1.19), each with its own home,
 * GUI/REST port and sync port, no discovery, relays or NAT, sharing one folder, set up through
 * the REST API. The comparison end of bench/e2e.ts: scans are triggered and completion is
 * detected through REST, never by the file watcher or a rescan timer.
 */
export interface SyncthingNode { home: string, folder: string, apiPort: number, syncPort: number, apiKey: string, deviceId: string, child: ChildProcess }

export const FOLDER_ID = 'gas-bench'

export function findSyncthing (): string | null {
  const r = spawnSync('syncthing', ['--version'], { encoding: 'utf8' })
  return r.status === 0 ? 'syncthing' : null
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export async function rest<T = unknown> (node: SyncthingNode, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${node.apiPort}${path}`, {
    method,
    headers: { 'X-API-Key': node.apiKey, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  if (!res.ok) throw new Error(`syncthing ${method} ${path}: ${res.status} ${await res.text()}`)
  const text = await res.text()
  return (text === '' ? undefined : JSON.parse(text)) as T
}

async function startNode (root: string, name: string): Promise<SyncthingNode> {
  const home = join(root, `${name}-home`)
  const folder = join(root, name)
  await mkdir(folder, { recursive: true })
  const gen = spawnSync('syncthing', ['generate', `--home=${home}`, '--no-default-folder', '--skip-port-probing'], { encoding: 'utf8' })
  if (gen.status !== 0) throw new Error(`syncthing generate: ${gen.stderr}`)
  const id = spawnSync('syncthing', ['serve', `--home=${home}`, '--device-id'], { encoding: 'utf8' })
  const deviceId = id.stdout.trim()
  if (!/^[A-Z0-9-]{50,}$/.test(deviceId)) throw new Error(`syncthing --device-id printed ${id.stdout} ${id.stderr}`)
  const apiPort = await freePort()
  const syncPort = await freePort()
  const apiKey = randomBytes(16).toString('hex')
  const child = spawn('syncthing', ['serve', `--home=${home}`, '--no-browser', '--no-restart', `--gui-address=http://127.0.0.1:${apiPort}`, `--gui-apikey=${apiKey}`, '--logfile=-'], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, STNODEFAULTFOLDER: '1', STNOUPGRADE: '1' }
  })
  const node: SyncthingNode = { home, folder, apiPort, syncPort, apiKey, deviceId, child }
  for (let i = 0; ; i++) {
    try {
      await rest(node, 'GET', '/rest/system/ping')
      break
    } catch (err) {
      if (i > 300 || child.exitCode !== null) throw new Error(`syncthing ${name} did not start: ${(err as Error).message}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  await rest(node, 'PATCH', '/rest/config/options', {
    listenAddresses: [`tcp://127.0.0.1:${syncPort}`],
    globalAnnounceEnabled: false,
    localAnnounceEnabled: false,
    relaysEnabled: false,
    natEnabled: false,
    urAccepted: -1,
    crashReportingEnabled: false,
    autoUpgradeIntervalH: 0
  })
  return node
}

/** Both instances running, each knowing the other, the folder shared and idle (empty). */
export async function startSyncthingPair (root: string): Promise<[SyncthingNode, SyncthingNode]> {
  const a = await startNode(root, 'st-a')
  const b = await startNode(root, 'st-b')
  for (const [self, other] of [[a, b], [b, a]] as const) {
    await rest(self, 'PUT', `/rest/config/devices/${other.deviceId}`, { deviceID: other.deviceId, name: other === a ? 'a' : 'b', addresses: [`tcp://127.0.0.1:${other.syncPort}`], compression: 'metadata', autoAcceptFolders: false })
    await rest(self, 'PUT', `/rest/config/folders/${FOLDER_ID}`, {
      id: FOLDER_ID,
      label: FOLDER_ID,
      path: self.folder,
      type: 'sendreceive',
      devices: [{ deviceID: self.deviceId }, { deviceID: other.deviceId }],
      // why: the bench triggers every scan itself, so the time measured is not a timer's
      rescanIntervalS: 3600,
      fsWatcherEnabled: false
    })
  }
  await waitFor(async () => (await rest<{ connections: Record<string, { connected: boolean }> }>(a, 'GET', '/rest/system/connections')).connections[b.deviceId]?.connected === true, 60_000, 'the two syncthing instances to connect')
  return [a, b]
}

export async function waitFor (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = performance.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface FolderStatus { globalBytes: number, inSyncBytes: number, needFiles: number, needBytes: number, state: string, globalFiles: number, localFiles: number }

export async function folderStatus (node: SyncthingNode): Promise<FolderStatus> {
  return await rest<FolderStatus>(node, 'GET', `/rest/db/status?folder=${FOLDER_ID}`)
}

/** Bytes this instance received from its peers so far (TLS stream bytes, as Syncthing counts them). */
export async function bytesIn (node: SyncthingNode): Promise<number> {
  const c = await rest<{ total: { inBytesTotal: number } }>(node, 'GET', '/rest/system/connections')
  return c.total.inBytesTotal
}

/**
 * Scans `from` (the file was changed there), then waits until `to` has every byte of the global
 * state and is idle, and its copy of `name` has `size` bytes.
 */
export async function scanAndWait (from: SyncthingNode, to: SyncthingNode, expect: { globalBytes: number }, timeoutMs: number): Promise<void> {
  await rest(from, 'POST', `/rest/db/scan?folder=${FOLDER_ID}`)
  await waitFor(async () => {
    const s = await folderStatus(to)
    return s.globalBytes === expect.globalBytes && s.inSyncBytes === s.globalBytes && s.needFiles === 0 && s.state === 'idle'
  }, timeoutMs, 'syncthing to finish')
}

export async function stopSyncthing (node: SyncthingNode): Promise<void> {
  if (node.child.exitCode !== null) return
  const exited = new Promise((resolve) => node.child.once('exit', resolve))
  node.child.kill('SIGTERM')
  const killer = setTimeout(() => node.child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(killer)
}

/**
 * CPU seconds (user + system) a process and its live descendants have used so far, from /proc.
 * why the descendants: `syncthing serve` runs its worker as a child of a monitor process.
 */
export function cpuSecondsOf (pid: number | undefined): number {
  if (pid === undefined) return 0
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return 0 // exited
  }
  // the fields after "(name) ": state is [0]; utime [11] and stime [12], in clock ticks (100 a second)
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  let seconds = (Number(fields[11]) + Number(fields[12])) / 100
  const children = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && parentOf(Number(name)) === pid)
  for (const child of children) seconds += cpuSecondsOf(Number(child))
  return seconds
}

function parentOf (pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}
