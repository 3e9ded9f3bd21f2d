/**
 * IMA (DVI) and Microsoft ADPCM block decoders for WAV. Hand-written: the npm codecs (imaadpcm)
 * handle only mono 256-byte IMA blocks, nothing decodes MS ADPCM, and each algorithm is a
 * published table and a dozen lines. Output is interleaved floats in -1..1.
 */

const IMA_STEPS = [7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107, 118, 130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660, 4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767]
const IMA_INDEX = [-1, -1, -1, -1, 2, 4, 6, 8, -1, -1, -1, -1, 2, 4, 6, 8]

const clamp16 = (v: number): number => v < -32768 ? -32768 : v > 32767 ? 32767 : v

/** Frames one IMA block of `blockAlign` bytes holds. */
export function imaFramesPerBlock (blockAlign: number, channels: number): number { return Math.floor((blockAlign - 4 * channels) * 8 / (4 * channels)) + 1 }
/** Frames one MS ADPCM block holds. */
export function msFramesPerBlock (blockAlign: number, channels: number): number { return Math.floor((blockAlign - 7 * channels) * 2 / channels) + 2 }

/** One IMA block: per channel a 4-byte header (first sample, step index), then 4-byte groups of 8 nibbles per channel. */
export function decodeImaBlock (b: Uint8Array, o: number, blockAlign: number, channels: number, out: Float32Array): number {
  const frames = imaFramesPerBlock(blockAlign, channels)
  for (let c = 0; c < channels; c++) {
    let pred = (((b[o + 4 * c] | (b[o + 4 * c + 1] << 8)) << 16) >> 16)
    let index = Math.min(88, b[o + 4 * c + 2])
    out[c] = pred / 32768
    let f = 1
    for (let g = o + 4 * channels + 4 * c; f < frames && g + 4 <= o + blockAlign; g += 4 * channels) {
      for (let k = 0; k < 8 && f < frames; k++, f++) {
        const nib = (b[g + (k >> 1)] >> ((k & 1) * 4)) & 15
        const step = IMA_STEPS[index]
        let diff = step >> 3
        if ((nib & 4) !== 0) diff += step
        if ((nib & 2) !== 0) diff += step >> 1
        if ((nib & 1) !== 0) diff += step >> 2
        pred = clamp16((nib & 8) !== 0 ? pred - diff : pred + diff)
        index = Math.max(0, Math.min(88, index + IMA_INDEX[nib]))
        out[f * channels + c] = pred / 32768
      }
    }
  }
  return frames
}

const MS_COEF = [[256, 0], [512, -256], [0, 0], [192, 64], [240, 0], [460, -208], [392, -232]]
const MS_ADAPT = [230, 230, 230, 230, 307, 409, 512, 614, 768, 614, 512, 409, 307, 230, 230, 230]

/** One MS ADPCM block: predictor, delta and two history samples per channel, then nibbles (high first) alternating channels. */
export function decodeMsBlock (b: Uint8Array, o: number, blockAlign: number, channels: number, out: Float32Array): number {
  const frames = msFramesPerBlock(blockAlign, channels)
  const s16 = (p: number): number => (((b[p] | (b[p + 1] << 8)) << 16) >> 16)
  const c1: number[] = []; const c2: number[] = []; const delta: number[] = []; const h1: number[] = []; const h2: number[] = []
  for (let c = 0; c < channels; c++) {
    const coef = MS_COEF[Math.min(6, b[o + c])]
    c1.push(coef[0]); c2.push(coef[1])
    delta.push(s16(o + channels + 2 * c))
    h1.push(s16(o + 3 * channels + 2 * c))
    h2.push(s16(o + 5 * channels + 2 * c))
    out[c] = h2[c] / 32768
    out[channels + c] = h1[c] / 32768
  }
  let p = o + 7 * channels
  for (let n = 2 * channels; n < frames * channels && p < o + blockAlign; n++) {
    const c = n % channels
    const nib = (n & 1) === 0 ? b[p] >> 4 : b[p++] & 15
    const signed = nib >= 8 ? nib - 16 : nib
    const pred = clamp16(((h1[c] * c1[c] + h2[c] * c2[c]) >> 8) + signed * delta[c])
    h2[c] = h1[c]; h1[c] = pred
    delta[c] = Math.max(16, (MS_ADAPT[nib] * delta[c]) >> 8)
    out[n] = pred / 32768
  }
  return frames
}
