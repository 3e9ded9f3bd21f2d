/**
 * The two-machine half of `npm run demo`: two members in two network namespaces joined by a
 * cable (a veth pair, 10.77.0.1 and 10.77.0.2), each running real `gas` processes. Needs root on
 * Linux with iproute2; anywhere else it says why and the peers of step 2 (127.0.0.1) stand in.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cliTeam, gasOk, startGasTracker, startServe, stopGas, syncUntilPeer, type GasCommand } from '../test/helpers/cli-team.js'
import { NetLab, netnsUnavailable } from '../test/net/netns-lab.js'

const say = (text: string): void => { process.stdout.write(`${text}\n`) }
/** bin/gas of this checkout (dist/scripts/ → the repository root) */
const GAS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gas')

export async function netnsDemo (root: string): Promise<void> {
  say('\n== 3. Two members on two machines (network namespaces, real gas processes)')
  const why = netnsUnavailable()
  if (why !== undefined) {
    say(`skipped: ${why}; the peers of step 2 ran on 127.0.0.1 instead`)
    return
  }
  const lab = new NetLab()
  const running = []
  try {
    for (const ns of ['studio', 'home']) lab.addMachine(ns)
    lab.cable('studio', 'eth0', 'home', 'eth0')
    lab.addr('studio', 'eth0', '10.77.0.1/24')
    lab.addr('home', 'eth0', '10.77.0.2/24')
    say(`namespaces ${lab.name('studio')} (10.77.0.1) and ${lab.name('home')} (10.77.0.2), one veth cable`)
    const gasIn = (ns: string): GasCommand => () => [...lab.prefixFor(ns), process.execPath, GAS_BIN]
    const tracker = await startGasTracker(gasIn('studio'), root, ['--port', '8000'])
    running.push(tracker.child)
    say(`studio$ gas tracker → members use ${(tracker.printed.urls ?? [tracker.printed.url]).join('  ')}`)
    const [ana, bo] = await cliTeam(join(root, 'netns'), ['ana', 'bo'], [gasIn('studio'), gasIn('home')], [tracker.printed.url])
    say('studio$ gas init --team orcs; gas team tracker …; gas team add <bo\'s key> …   home$ gas init; gas team join bo.invite')
    const level = randomBytes(4 * 1024 * 1024)
    writeFileSync(join(ana, 'level.bin'), level)
    await gasOk(gasIn('studio'), ana, ['add', 'level.bin'])
    await gasOk(gasIn('studio'), ana, ['commit', '-m', 'level 1', '--json'])
    running.push(await startServe(gasIn('studio'), ana, {}, [], 'announced to'))
    say('studio$ gas add level.bin; gas commit -m "level 1"; gas serve &')
    const r = await syncUntilPeer(gasIn('home'), bo)
    if (r.status !== 0) throw new Error(`gas sync in ${lab.name('home')} failed: ${r.stderr}`)
    const route = r.json.routes[0]
    say(`home$ gas sync --once --json → ${r.json.peers} peer, ${r.json.fetched.bytes} bytes, via ${route.type}: ${route.local} -> ${route.remote}`)
    say(`level.bin on home is identical to studio's: ${readFileSync(join(bo, 'level.bin')).equals(level)}`)
    // home's work reaches the studio too: its sync leaves it with the serve, which keeps it for the team
    const sketch = randomBytes(512 * 1024)
    writeFileSync(join(bo, 'sketch.bin'), sketch)
    await gasOk(gasIn('home'), bo, ['add', 'sketch.bin'])
    await gasOk(gasIn('home'), bo, ['commit', '-m', 'sketch'])
    const back = await syncUntilPeer(gasIn('home'), bo)
    const main = (back.json?.refs ?? []).find((ref: { ref: string }) => ref.ref === 'refs/heads/main')
    if (back.status !== 0 || main?.action !== 'delivered') throw new Error(`home's sync did not leave its commit with the studio's serve: ${back.stdout}${back.stderr}`)
    say('home$ gas add sketch.bin; gas commit -m sketch; gas sync --once → refs/heads/main: ana took it (the serve keeps it for the team)')
    say(`sketch.bin on studio is identical to home's: ${readFileSync(join(ana, 'sketch.bin')).equals(sketch)}`)
  } finally {
    for (const c of running) await stopGas(c)
    lab.destroy()
  }
}
