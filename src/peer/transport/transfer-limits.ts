import { setPriority } from 'node:os'
import { join } from 'node:path'
import { wallClock, type Clock } from '../../clock.js'
import type { Workspace } from '../../repo/workspace.js'
import { BusyBackoff } from '../../schedule/cpu-load.js'
import { defaultSettings, readSettings, type ScheduleSettings } from '../../schedule/schedule-settings.js'
import { nextChange, rateAt } from '../../schedule/schedule.js'
import { TokenBucket } from '../../schedule/token-bucket.js'
import { throttleTransport } from './throttled-transport.js'
import type { Transport } from './transport.js'

/** why: "changing the schedule takes effect within a second in a running gas serve" */
export const SETTINGS_POLL_MS = 1000
/** why: nice 10 yields the CPU to a person's compiler or editor while still getting idle cycles */
export const BACKGROUND_NICE = 10

/**
 * The rate limits of one gas process, shared by every connection it has: content moves at the
 * schedule's rate for this moment (times the busy backoff), metadata and previews at the
 * metadata budget while content waits, and the settings file is looked at every second.
 * The rate is computed once per poll (a window edge also wakes it), not per frame: time-zone
 * arithmetic costs microseconds a frame would feel at 100 MB/s.
 */
export class TransferLimits {
  readonly #ws: Workspace
  readonly #clock: Clock
  readonly #busy: BusyBackoff
  #settings: ScheduleSettings
  #settingsStamp = ''
  /** back off while the machine is busy: background work only (`gas serve` with a schedule), never a sync a person waits for */
  #backoff = false
  #interactive = false
  #lowered = false
  #contentRate = Infinity
  #cancelPoll: (() => void) | undefined
  #cancelEdge: (() => void) | undefined
  #listeners: Array<(contentRate: number) => void> = []
  readonly #buckets: TokenBucket[]
  readonly upContent: TokenBucket
  readonly upControl: TokenBucket
  readonly downContent: TokenBucket
  readonly downControl: TokenBucket

  private constructor (ws: Workspace, clock: Clock, settings: ScheduleSettings) {
    this.#ws = ws
    this.#clock = clock
    this.#settings = settings
    this.#busy = new BusyBackoff(() => this.#settings.busyCpu)
    const content = (): number => this.#contentRate
    const control = (): number => this.#contentRate > 0 ? Infinity : this.#settings.metadataLimit
    this.upContent = new TokenBucket({ clock, rate: content })
    this.downContent = new TokenBucket({ clock, rate: content })
    this.upControl = new TokenBucket({ clock, rate: control })
    this.downControl = new TokenBucket({ clock, rate: control })
    this.#buckets = [this.upContent, this.downContent, this.upControl, this.downControl]
  }

  /** Reads the workspace's schedule and starts following it (and the machine's load). */
  /**
   * `backoff`: background work (`gas serve`) that yields to a busy machine. `interactive`: a person
   * waits for this transfer (`gas fetch`, `gas restore` of an unfetched asset): outside every
   * window it still moves, within the metadata budget, instead of waiting for the window.
   */
  static async start (ws: Workspace, opts: { clock?: Clock, poll?: boolean, backoff?: boolean, interactive?: boolean } = {}): Promise<TransferLimits> {
    const limits = new TransferLimits(ws, opts.clock ?? wallClock, defaultSettings())
    limits.#backoff = opts.backoff ?? false
    limits.#interactive = opts.interactive ?? false
    await limits.refresh()
    if (opts.poll !== false) limits.#schedulePoll()
    return limits
  }

  /** bytes/s content may move at now (Infinity: unlimited; 0: wait for a window). */
  get contentRate (): number {
    return this.#contentRate
  }

  get settings (): ScheduleSettings {
    return this.#settings
  }

  /** Called with the new content rate whenever it changes (a window opens or closes, the settings change). */
  onChange (cb: (contentRate: number) => void): void {
    this.#listeners.push(cb)
  }

  throttle (transport: Transport): Transport {
    return throttleTransport(transport, { upContent: this.upContent, upControl: this.upControl, downContent: this.downContent, downControl: this.downControl })
  }

  /** Re-reads the settings when the file changed, and the rate for this moment. */
  async refresh (): Promise<void> {
    const stamp = await this.#ws.fs.stat(join(this.#ws.gasDir, 'schedule.json')).then((s) => `${s.mtimeMs}:${s.size}`, () => 'none')
    if (stamp !== this.#settingsStamp) {
      // a damaged file keeps the schedule in force (say so through `gas schedule show`)
      this.#settings = await readSettings(this.#ws).catch(() => this.#settings)
      this.#settingsStamp = stamp
    }
    this.#recompute()
  }

  close (): void {
    this.#cancelPoll?.()
    this.#cancelEdge?.()
    this.#cancelPoll = undefined
    this.#cancelEdge = undefined
  }

  #recompute (): void {
    const now = this.#clock.now()
    const background = this.#backoff && this.#settings.windows.length > 0
    const factor = background ? this.#busy.update() : 1
    if (background && !this.#lowered) {
      this.#lowered = true
      // a member who set a schedule asked for background transfers: a person's work comes first for the CPU too
      try { setPriority(BACKGROUND_NICE) } catch {}
    }
    const scheduled = rateAt(this.#settings, now) * factor
    const rate = scheduled <= 0 && this.#interactive ? this.#settings.metadataLimit : scheduled
    // wake exactly at the next window edge as well as on the poll
    this.#cancelEdge?.()
    const edge = nextChange(this.#settings, now)
    this.#cancelEdge = edge === undefined || this.#cancelPoll === undefined ? undefined : this.#clock.after(edge - now, () => this.#recompute())
    if (rate === this.#contentRate) return
    this.#contentRate = rate
    for (const bucket of this.#buckets) bucket.changed()
    for (const cb of this.#listeners) cb(rate)
  }

  #schedulePoll (): void {
    this.#cancelPoll = this.#clock.after(SETTINGS_POLL_MS, () => {
      void this.refresh().finally(() => { if (this.#cancelPoll !== undefined) this.#schedulePoll() })
    })
  }
}
