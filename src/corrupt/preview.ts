/** A preview grid (corruptions × severities, clean first) of a few images as one SVG with embedded PNG tiles. */
import { PNG } from 'pngjs';
import { corrupt, deriveSeed, NumpyRandomState, type CorruptionName, type ImageU8, type Preset } from './index.js';

function pngDataUri(img: ImageU8, scale: number): string {
  const png = new PNG({ width: img.width * scale, height: img.height * scale });
  for (let y = 0; y < img.height * scale; y++)
    for (let x = 0; x < img.width * scale; x++) {
      const s = (Math.floor(y / scale) * img.width + Math.floor(x / scale)) * img.channels;
      const d = (y * img.width * scale + x) * 4;
      for (let c = 0; c < 3; c++) png.data[d + c] = img.data[s + (img.channels === 3 ? c : 0)];
      png.data[d + 3] = 255;
    }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

export function previewSvg(images: ImageU8[], corruptions: CorruptionName[], o: { seed: number; preset?: Preset; frostDir?: string; title?: string }): string {
  const scale = Math.max(1, Math.round(96 / images[0].width));
  const tile = images[0].width * scale;
  const gap = 4;
  const labelW = 130;
  const cols = 6 * images.length;
  const width = labelW + cols * (tile + gap) + gap * images.length;
  const height = 40 + corruptions.length * (tile + gap);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="4" y="14" font-weight="bold">${o.title ?? 'actbench corruptions'}</text>`,
  ];
  images.forEach((_, b) => ['clean', 's1', 's2', 's3', 's4', 's5'].forEach((h, k) => {
    const x = labelW + b * (6 * (tile + gap) + gap) + k * (tile + gap);
    parts.push(`<text x="${x + tile / 2}" y="32" text-anchor="middle">${h}</text>`);
  }));
  corruptions.forEach((name, r) => {
    const y = 40 + r * (tile + gap);
    parts.push(`<text x="4" y="${y + tile / 2 + 4}">${name}</text>`);
    images.forEach((img, b) => {
      for (let k = 0; k <= 5; k++) {
        const out = k === 0 ? img : corrupt(img, name, k, { rng: new NumpyRandomState(deriveSeed(o.seed, name, k, b)), preset: o.preset, frostDir: o.frostDir });
        const x = labelW + b * (6 * (tile + gap) + gap) + k * (tile + gap);
        parts.push(`<image x="${x}" y="${y}" width="${tile}" height="${tile}" href="${pngDataUri(out, scale)}"/>`);
      }
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}
