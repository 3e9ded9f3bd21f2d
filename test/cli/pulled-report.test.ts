import { describe, expect, it } from 'vitest'
import { pulledReporter } from '../../src/cli/pulled-report.js'
import type { ServePulled } from '../../src/peer/sync/serve-pull.js'

const MERGE = 'aa07c0c76044' + '0'.repeat(52)

/** What `gas serve` says of a take, as text. */
function said (result: Partial<NonNullable<ServePulled['result']>>): string {
  const lines: string[] = []
  const report = pulledReporter({ json: false, out: (t) => lines.push(t), err: (t) => lines.push(t) })
  report({ peer: 'cy', result: { refs: [], fetched: { objects: 3, bytes: 1000 }, checkout: null, merge: null, conflicts: [], rejected: [], incomplete: null, missing: [], queued: { items: 0, bytes: 0, paths: [] }, lockedChanges: [], ...result } as unknown as ServePulled['result'] })
  return lines.join('\n')
}

describe("the serve's line for a member's versions it took", () => {
  it('a merge of a diverged branch: "into a merge", the divergence said before the merge (not "no ref moved")', () => {
    const text = said({
      conflicts: [{ ref: 'refs/heads/main', peer: 'cy', remoteRef: 'refs/remotes/cy/heads/main' }] as never,
      merge: { from: "cy's main", version: MERGE, conflicts: [], error: null }
    })
    expect(text).toBe([
      "took cy's versions: into a merge; fetched 3 objects (1.00 kB)",
      '  refs/heads/main diverged from cy: theirs recorded as refs/remotes/cy/heads/main',
      "  merged cy's main as aa07c0c76044"
    ].join('\n'))
  })

  it('a merge left with conflicts, or nothing moved, is not called a merge', () => {
    expect(said({ merge: { from: "cy's main", version: null, conflicts: [], error: 'E_LOCKED: busy' } })).toMatch(/^took cy's versions: no ref moved; .*\n {2}not merged: E_LOCKED: busy$/)
    expect(said({})).toBe("took cy's versions: no ref moved; fetched 3 objects (1.00 kB)")
  })

  it("a member's Git LFS objects kept: said, and named as the take when no ref moved", () => {
    const lines: string[] = []
    const report = pulledReporter({ json: false, out: (t) => lines.push(t), err: (t) => lines.push(t) })
    report({ peer: 'cy', lfsTaken: 2, result: { refs: [], fetched: { objects: 40, bytes: 2_000_000 }, checkout: null, merge: null, conflicts: [], rejected: [], incomplete: null, missing: [], queued: { items: 0, bytes: 0, paths: [] }, lockedChanges: [] } as unknown as ServePulled['result'] })
    expect(lines.join('\n')).toBe([
      "took cy's versions: their Git LFS objects; fetched 40 objects (2.00 MB)",
      "  kept 2 Git LFS object(s) of cy's: teammates' git pulls get them from here"
    ].join('\n'))
    const json: string[] = []
    pulledReporter({ json: true, out: (t) => json.push(t), err: () => {} })({ peer: 'cy', lfsTaken: 2, result: { refs: [], fetched: { objects: 40, bytes: 2_000_000 }, checkout: null, merge: null, conflicts: [], rejected: [], incomplete: null, missing: [], queued: { items: 0, bytes: 0, paths: [] }, lockedChanges: [] } as unknown as ServePulled['result'] })
    expect(JSON.parse(json[0])).toMatchObject({ peer: 'cy', state: 'pulled', lfsTaken: 2 })
  })

  it("a member's queued files that came with its sync: said, and named as the take when no ref moved", () => {
    const lines: string[] = []
    const result = { refs: [], fetched: { objects: 5, bytes: 300_000 }, checkout: null, merge: null, conflicts: [], rejected: [], incomplete: null, missing: [], queued: { items: 0, bytes: 0, paths: [] }, lockedChanges: [] } as unknown as ServePulled['result']
    pulledReporter({ json: false, out: (t) => lines.push(t), err: (t) => lines.push(t) })({ peer: 'bo', queueTaken: 1, result })
    expect(lines.join('\n')).toBe([
      "took bo's versions: the files that waited for a transfer window; fetched 5 objects (300.0 kB)",
      "  1 queued asset(s) of bo's arrived: they had waited for a transfer window"
    ].join('\n'))
    const json: string[] = []
    pulledReporter({ json: true, out: (t) => json.push(t), err: () => {} })({ peer: 'bo', queueTaken: 1, result })
    expect(JSON.parse(json[0])).toMatchObject({ peer: 'bo', state: 'pulled', queueTaken: 1, lfsTaken: 0 })
  })

  it('files held back by a closed transfer window: said, with when the versions follow', () => {
    expect(said({ queued: { items: 1, bytes: 5_000_000, paths: ['art/bo4.png'] } })).toBe([
      "took cy's versions: their files wait for a transfer window; fetched 3 objects (1.00 kB)",
      "  1 asset(s) (5.00 MB) queued for the next transfer window (cy's or ours); their versions follow at a sync once the files are here"
    ].join('\n'))
  })

  it('a locked file the take changed, by someone other than its holder, is named', () => {
    expect(said({ lockedChanges: [{ path: 'art/hero.png', holder: 'bo', holderIsUs: false, by: ['cy'] }] })).toContain(
      "\n  LOCKED art/hero.png: changed by cy while bo holds its lock (`gas log art/hero.png` shows both; `gas restore art/hero.png --version REV` takes one back)")
  })
})
