import { sharp } from './require-cjs.js'
import type { PreviewImage } from './types.js'
import { BoxShrinker } from './box-shrink.js'
import { IMAGE_BUDGET_BYTES, MAX_IMAGE_PIXELS, RENDER_WEBP, THUMBNAIL_WEBP, TINY_LOSSLESS_MAX_BYTES, TINY_THUMBNAIL_PIXELS } from './limits.js'

/**
 * Thumbnails are lossy WebP (settings and why in limits.ts): previews sync to every peer before
 * the content, so a few KB each; alpha is kept (lossy-compressed too) when the source has it.
 */
async function encode (img: ReturnType<typeof sharp>, size: number): Promise<PreviewImage> {
  // downscale to raw first: the thumbnail's size decides how it is encoded (tiny ones lossless)
  // 8-bit sRGB, as the WebP encoder would have made it (16-bit, grey, CMYK sources included)
  const small = await img.resize(size, size, { fit: 'inside', withoutEnlargement: true }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
  const { width, height, channels } = small.info
  return await encodeSized(small.data, width, height, channels as 1 | 2 | 3 | 4, THUMBNAIL_WEBP)
}

/** Encodes 8-bit sRGB pixels that already have the thumbnail's size. */
async function encodeSized (pixels: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4, webp: typeof THUMBNAIL_WEBP | typeof RENDER_WEBP): Promise<PreviewImage> {
  const raw = { raw: { width, height, channels } }
  let data: Buffer | undefined
  if (width * height <= TINY_THUMBNAIL_PIXELS) {
    const lossless = await sharp(pixels, raw).webp({ lossless: true, effort: 4 }).toBuffer()
    if (lossless.length <= TINY_LOSSLESS_MAX_BYTES) data = lossless
  }
  data ??= await sharp(pixels, raw).webp({ ...webp }).toBuffer()
  // noisy or detailed sources can exceed the budget at the default quality: step it down until they fit
  for (const quality of [70, 55, 40, 25]) {
    if (data.length <= IMAGE_BUDGET_BYTES) break
    data = await sharp(pixels, raw).webp({ ...webp, quality, alphaQuality: quality }).toBuffer()
  }
  return { format: 'webp', width, height, bytes: new Uint8Array(data.buffer, data.byteOffset, data.length) }
}

/**
 * Thumbnail of a model render drawn at `factor` times its size (RGBA, `px` square): the samples
 * of each output pixel are box-averaged, alpha-weighted (the supersampling resolve; within
 * 47 dB of a Lanczos downscale on the mock project's renders, and no resize pass in libvips), and
 * encoded with RENDER_WEBP.
 */
export async function thumbnailFromRender (rgba: Uint8Array, px: number, factor: number): Promise<PreviewImage> {
  const shrinker = new BoxShrinker(px, px, factor, true)
  for (let y = 0; y < px; y++) shrinker.addRow(y, rgba.subarray(y * px * 4, (y + 1) * px * 4))
  return await encodeSized(shrinker.result(), shrinker.outWidth, shrinker.outHeight, 4, RENDER_WEBP)
}

/** Downscales decoded RGBA (or RGB / grey) pixels to a thumbnail whose long side is at most size. */
export async function thumbnailFromPixels (pixels: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4, size: number, alpha = true): Promise<PreviewImage> {
  const img = sharp(pixels, { raw: { width, height, channels }, limitInputPixels: MAX_IMAGE_PIXELS })
  // an opaque image keeps no alpha channel, so the thumbnail says what the source is
  return await encode(alpha || (channels !== 4 && channels !== 2) ? img : img.removeAlpha(), size)
}

/** Thumbnail of a file sharp reads itself; sequentialRead lets libvips stream the decode. */
export async function thumbnailFromFile (path: string, size: number): Promise<PreviewImage> {
  // rotate() with no angle applies the EXIF orientation (3, 6, 8, …), as every viewer shows the photo
  return await encode(sharp(path, { limitInputPixels: MAX_IMAGE_PIXELS, sequentialRead: true, failOn: 'error' }).rotate(), size)
}
