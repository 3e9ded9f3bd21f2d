import sharp from 'sharp'
import type { PreviewImage } from './types.js'
import { MAX_IMAGE_PIXELS } from './limits.js'

/**
 * Thumbnails are lossless WebP: a preview is compared with its source by PSNR, and lossless WebP
 * is still a fraction of PNG's size. effort 2 keeps encoding of a 512² image to a few ms.
 */
async function encode (img: ReturnType<typeof sharp>, size: number): Promise<PreviewImage> {
  const { data, info } = await img
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .webp({ lossless: true, effort: 2 })
    .toBuffer({ resolveWithObject: true })
  return { format: 'webp', width: info.width, height: info.height, bytes: new Uint8Array(data.buffer, data.byteOffset, data.length) }
}

/** Downscales decoded RGBA (or RGB / grey) pixels to a thumbnail whose long side is at most size. */
export async function thumbnailFromPixels (pixels: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4, size: number, alpha = true): Promise<PreviewImage> {
  const img = sharp(pixels, { raw: { width, height, channels }, limitInputPixels: MAX_IMAGE_PIXELS })
  // an opaque image keeps no alpha channel, so the thumbnail says what the source is
  return await encode(alpha || (channels !== 4 && channels !== 2) ? img : img.removeAlpha(), size)
}

/** Thumbnail of a file sharp reads itself; sequentialRead lets libvips stream the decode. */
export async function thumbnailFromFile (path: string, size: number): Promise<PreviewImage> {
  return await encode(sharp(path, { limitInputPixels: MAX_IMAGE_PIXELS, sequentialRead: true, failOn: 'error' }), size)
}
