import { spawnSync } from 'node:child_process'

/**
 * Reference tools (ImageMagick, sox, ffmpeg/ffprobe; .ci/run installs them): real-world variant
 * files are made with them at test time, and their numbers are what previews are checked against.
 */

/** Runs a tool and returns stdout + stderr (ffmpeg and sox print their reports on stderr). */
export function tool (cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.error !== undefined) throw new Error(`${cmd} could not run (is it installed? .ci/run installs it): ${r.error.message}`)
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`)
  return `${r.stdout}${r.stderr}`
}

export function ffmpeg (...args: string[]): void { tool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]) }

/** ffprobe's stream duration, rate and channels. */
export function ffprobe (path: string): { duration: number, sampleRate: number, channels: number, codec: string } {
  const out = JSON.parse(tool('ffprobe', ['-v', 'error', '-show_entries', 'stream=duration,sample_rate,channels,codec_name:format=duration', '-of', 'json', path])) as { streams: Array<Record<string, string | number>>, format: Record<string, string> }
  const s = out.streams[0]
  return { duration: Number(s.duration ?? out.format.duration), sampleRate: Number(s.sample_rate), channels: Number(s.channels), codec: String(s.codec_name) }
}

/** ffmpeg's volumedetect peak (dBFS) of the decoded file. */
export function ffmpegPeakDb (path: string): number {
  const report = tool('ffmpeg', ['-hide_banner', '-i', path, '-af', 'volumedetect', '-f', 'null', '-'])
  const m = /max_volume: (-?[\d.]+) dB/.exec(report)
  if (m === null) throw new Error(`no max_volume in ffmpeg's report: ${report}`)
  return Number(m[1])
}

/** Samples per channel ffmpeg decodes (every frame decoded, no header estimate). */
export function ffmpegDecodedSamples (path: string): number {
  const report = tool('ffmpeg', ['-hide_banner', '-i', path, '-af', 'astats=measure_overall=Number_of_samples:measure_perchannel=none', '-f', 'null', '-'])
  const m = /Number of samples: (\d+)/.exec(report)
  if (m === null) throw new Error(`no sample count in ffmpeg's report: ${report}`)
  return Number(m[1])
}

/** sox's peak level (dBFS) and length of a file it decodes itself (A-law, µ-law, ADPCM WAV). */
export function soxStats (path: string): { peakDb: number, seconds: number } {
  const report = tool('sox', [path, '-n', 'stats'])
  const peak = /Pk lev dB\s+(-?[\d.]+)/.exec(report)
  const len = /Length s\s+([\d.]+)/.exec(report)
  if (peak === null || len === null) throw new Error(`unexpected sox stats report: ${report}`)
  return { peakDb: Number(peak[1]), seconds: Number(len[1]) }
}

/**
 * ImageMagick's binary: `magick` (IM7) or IM6's `convert`. Looked up by what `-version` says, not by
 * name: a machine may put a stand-in `convert` ahead of the real one on PATH (this one's did, and it
 * only converts PNG), and the numbers here must be ImageMagick's own.
 */
function imageMagickBinary (): string {
  for (const cmd of ['magick', 'convert-im6.q16', 'convert-im6', '/usr/bin/convert', 'convert']) {
    const r = spawnSync(cmd, ['-version'], { encoding: 'utf8' })
    if (r.status === 0 && r.stdout.startsWith('Version: ImageMagick')) return cmd
  }
  throw new Error('ImageMagick is not installed (.ci/run installs it: apt-get install imagemagick)')
}

let imageMagick: string | undefined

export function magick (...args: string[]): string {
  imageMagick ??= imageMagickBinary()
  return tool(imageMagick, args)
}
