import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'

/**
 * Network namespaces for tests and benches: machines (`ip netns`), cables (veth pairs), a switch
 * (a bridge) and NAT routers (iptables MASQUERADE). Every name carries a per-run prefix, and
 * `destroy()` removes all of it (and kills what runs inside), also after a failure. Needs root
 * on Linux with iproute2 and iptables; `netnsUnavailable()` says why not when it cannot run.
 */

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable (): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux, not ${process.platform}`
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  for (const tool of ['ip', 'iptables']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (.ci/run installs iproute2 and iptables)`
  }
  const probe = `gasprobe${process.pid}`
  const made = spawnSync('ip', ['netns', 'add', probe])
  spawnSync('ip', ['netns', 'del', probe])
  if (made.status !== 0) return `ip netns add failed: ${made.stderr.toString().trim()}`
  return undefined
}

/** coturn's `turnserver` binary, or undefined. */
export function turnserverPath (): string | undefined {
  for (const p of ['/usr/bin/turnserver', '/usr/local/bin/turnserver']) if (existsSync(p)) return p
  return undefined
}

/** Resolves once a spawned coturn has opened its listeners; rejects with its log if it exits or takes over 10 s. */
export async function coturnListening (child: ChildProcess): Promise<void> {
  let log = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coturn did not start: ${log}`)), 10_000)
    child.stdout?.on('data', (d: Buffer) => {
      log += d.toString()
      if (/listener opened on|Total General servers/i.test(log)) { clearTimeout(timer); resolve() }
    })
    child.once('close', (code) => { clearTimeout(timer); reject(new Error(`coturn exited ${String(code)}: ${log}`)) })
  })
}

/** Whether the kernel has netem (latency/loss); this test machine's has not. */
export function hasNetem (lab: NetLab, ns: string, dev: string): boolean {
  const r = spawnSync('ip', ['netns', 'exec', lab.name(ns), 'tc', 'qdisc', 'add', 'dev', dev, 'root', 'netem', 'delay', '1ms'])
  if (r.status === 0) spawnSync('ip', ['netns', 'exec', lab.name(ns), 'tc', 'qdisc', 'del', 'dev', dev, 'root'])
  return r.status === 0
}

export class NetLab {
  /** unique per run: namespaces are `${prefix}-NAME` */
  readonly prefix = `gas${randomBytes(3).toString('hex')}`
  readonly #made: string[] = []
  #destroyed = false
  readonly #onExit = (): void => this.destroy()

  constructor () {
    // a test runner killed mid-test still runs exit handlers: leave nothing behind
    process.once('exit', this.#onExit)
  }

  name (ns: string): string {
    return `${this.prefix}-${ns}`
  }

  /** Runs a command inside namespace `ns`. */
  exec (ns: string, args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name(ns), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  }

  /** The command prefix that runs a program inside `ns`. */
  prefixFor (ns: string): string[] {
    return ['ip', 'netns', 'exec', this.name(ns)]
  }

  addMachine (ns: string): void {
    execFileSync('ip', ['netns', 'add', this.name(ns)])
    this.#made.push(this.name(ns))
    this.exec(ns, ['ip', 'link', 'set', 'lo', 'up'])
  }

  /** A cable between two machines: interface `ifA` in `a`, `ifB` in `b`, both up. */
  cable (a: string, ifA: string, b: string, ifB: string): void {
    execFileSync('ip', ['-n', this.name(a), 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', this.name(b)])
    this.exec(a, ['ip', 'link', 'set', ifA, 'up'])
    this.exec(b, ['ip', 'link', 'set', ifB, 'up'])
  }

  /** A switch inside machine `ns`: a bridge `br0` (optionally with an address of its own). */
  addSwitch (ns: string, cidr?: string): void {
    this.exec(ns, ['ip', 'link', 'add', 'br0', 'type', 'bridge'])
    this.exec(ns, ['ip', 'link', 'set', 'br0', 'up'])
    if (cidr !== undefined) this.exec(ns, ['ip', 'addr', 'add', cidr, 'dev', 'br0'])
  }

  /** Plugs machine `ns` into the switch in `sw` with address `cidr`; its interface is `eth0`. */
  plug (ns: string, sw: string, port: string, cidr: string): void {
    this.cable(sw, port, ns, 'eth0')
    this.exec(sw, ['ip', 'link', 'set', port, 'master', 'br0'])
    this.exec(ns, ['ip', 'addr', 'add', cidr, 'dev', 'eth0'])
  }

  addr (ns: string, dev: string, cidr: string): void {
    this.exec(ns, ['ip', 'addr', 'add', cidr, 'dev', dev])
  }

  defaultRoute (ns: string, via: string): void {
    this.exec(ns, ['ip', 'route', 'add', 'default', 'via', via])
  }

  /**
   * Makes `ns` a NAT router out of `wan`. Linux MASQUERADE keeps a flow's source port when it can
   * (one mapping per inside address and port: STUN's server-reflexive candidate works); with
   * `symmetric` each flow gets a random port, so the mapping STUN saw is useless toward a peer.
   */
  nat (ns: string, wan: string, opts: { symmetric?: boolean } = {}): void {
    this.exec(ns, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])
    this.exec(ns, ['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', wan, '-j', 'MASQUERADE', ...(opts.symmetric === true ? ['--random-fully'] : [])])
    // a home router's firewall: unsolicited packets from outside are dropped. Dropped here, before
    // conntrack confirms them, they leave no entry behind; without this rule a peer's first check
    // would hold the very port the router then wants for our reply, and it would pick another
    this.exec(ns, ['iptables', '-A', 'INPUT', '-i', wan, '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP'])
  }

  /** Rate limit on `dev` in `ns` (token bucket; netem is not in every kernel). */
  rateLimit (ns: string, dev: string, mbit: number): void {
    this.exec(ns, ['tc', 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '256kb', 'latency', '100ms'])
  }

  /** Kills every process running in the namespaces, then deletes them (their interfaces go with them). */
  destroy (): void {
    if (this.#destroyed) return
    this.#destroyed = true
    process.removeListener('exit', this.#onExit)
    for (const ns of this.#made.reverse()) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter((p) => p !== '')
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL')
        } catch {} // gone meanwhile
      }
      spawnSync('ip', ['netns', 'del', ns])
    }
  }
}

/** Namespaces whose names start with `prefix` that still exist (for the cleanup check). */
export function leftoverNamespaces (prefix: string): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix))
}
