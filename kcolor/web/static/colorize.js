// The color pipeline of `kcolor colorize` (kcolor/colorizer.py, kcolor/lab_math.py), in plain
// JavaScript, so the page paints what the command line paints. Pure functions, no DOM: the
// Web Worker and the tests import the same code.
//
// 1. shrink the photo so its long side is the model's size, as Pillow's antialiased BILINEAR
//    resize does (`resizeBilinearRGB` follows Pillow's Resample.c: double coefficients, then
//    22-bit fixed point, horizontal pass then vertical);
// 2. CIE L of the small copy, reflect-padded to the model's square input;
// 3. (the model: L in [0, 100] -> ab in Lab units);
// 4. ab upsampled to the photo's size (bilinear, half-pixel centers), joined with the photo's
//    own full-resolution L in bands of rows, out-of-gamut colors losing chroma, not lightness.

// sRGB (linear) -> XYZ rows and the D65 white, as scikit-image and kcolor.lab_math write them.
const XYZ_FROM_RGB = [
  [0.412453, 0.35758, 0.180423],
  [0.212671, 0.71516, 0.072169],
  [0.019334, 0.119193, 0.950227],
];
const D65 = [0.95047, 1.0, 1.08883];
const LAB_EPSILON = 0.008856;
const LAB_KAPPA_SLOPE = 7.787;
const LAB_OFFSET = 16.0 / 116.0;
const LAB_CUBE_BREAK = 0.2068966;
const GAMUT_TOLERANCE = 1e-4;
const CHROMA_STEPS = 6;
export const BAND_ROWS = 512;

// xyz_j = sum_i linear_i * RGB_TO_XYZ[i][j] (XYZ_FROM_RGB transposed, over the white point).
const RGB_TO_XYZ = [0, 1, 2].map((i) => [0, 1, 2].map((j) => XYZ_FROM_RGB[j][i] / D65[j]));

function invert3(m) {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

// XYZ_TO_RGB[k][j]: linear_j = sum_k xyz_k * XYZ_TO_RGB[k][j] (rounded to float32 as in Python).
const XYZ_TO_RGB = invert3(RGB_TO_XYZ).map((row) => row.map(Math.fround));
const RGB_TO_XYZ_F32 = RGB_TO_XYZ.map((row) => row.map(Math.fround));
const Y_FROM_RGB_F32 = XYZ_FROM_RGB[1].map(Math.fround);

export function srgbToLinear(v) {
  return v > 0.04045 ? Math.pow((v + 0.055) / 1.055, 2.4) : v / 12.92;
}

export function linearToSrgb(v) {
  const x = Math.min(Math.max(v, 0.0), 1.0);
  return x > 0.0031308 ? 1.055 * Math.pow(x, 1.0 / 2.4) - 0.055 : x * 12.92;
}

// The linear value of each 8-bit level, rounded to float32 like kcolor's 256-entry table.
export const LINEAR_TABLE = Float32Array.from({ length: 256 }, (_, i) =>
  srgbToLinear(Math.fround(i / 255)),
);

function labF(t) {
  return t > LAB_EPSILON ? Math.cbrt(t) : LAB_KAPPA_SLOPE * t + LAB_OFFSET;
}

// CIE L of one 8-bit sRGB pixel (depends on Y alone), as colorizer._full_resolution_lightness.
export function lightness8(r, g, b) {
  const y = Math.fround(
    LINEAR_TABLE[r] * Y_FROM_RGB_F32[0] +
      LINEAR_TABLE[g] * Y_FROM_RGB_F32[1] +
      LINEAR_TABLE[b] * Y_FROM_RGB_F32[2],
  );
  return Math.fround(116.0 * labF(y) - 16.0);
}

// CIE L of sRGB in [0, 1] through the full rgb_to_lab path (the small copy, lab_math.rgb_to_lab).
export function lightnessOf(r, g, b) {
  const lin = [srgbToLinear(r), srgbToLinear(g), srgbToLinear(b)].map(Math.fround);
  const m = RGB_TO_XYZ_F32;
  const y = Math.fround(lin[0] * m[0][1] + lin[1] * m[1][1] + lin[2] * m[2][1]);
  return Math.fround(116.0 * labF(y) - 16.0);
}

// CIELAB -> linear sRGB, unclipped (lab_math.lab_to_linear), into out[0..2].
// CIE Lab of sRGB in [0, 1] (lab_math.rgb_to_lab), in float32 steps: a hint's color and a
// reference photo's palette (points.js).
export function labOf(r, g, b) {
  const lin = [srgbToLinear(r), srgbToLinear(g), srgbToLinear(b)].map(Math.fround);
  const m = RGB_TO_XYZ_F32;
  const f = [0, 1, 2].map((j) =>
    Math.fround(labF(Math.fround(lin[0] * m[0][j] + lin[1] * m[1][j] + lin[2] * m[2][j]))),
  );
  return [116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])].map(Math.fround);
}

export function labToLinear(L, a, b, out) {
  const fy = (L + 16.0) / 116.0;
  const fx = fy + a / 500.0;
  const fz = Math.max(fy - b / 200.0, 0.0);
  const inv = (f) => (f > LAB_CUBE_BREAK ? f * f * f : (f - LAB_OFFSET) / LAB_KAPPA_SLOPE);
  const x = inv(fx);
  const y = inv(fy);
  const z = inv(fz);
  for (let j = 0; j < 3; j++) {
    out[j] = x * XYZ_TO_RGB[0][j] + y * XYZ_TO_RGB[1][j] + z * XYZ_TO_RGB[2][j];
  }
  return out;
}

function inGamut(rgb) {
  return (
    rgb[0] >= -GAMUT_TOLERANCE &&
    rgb[0] <= 1 + GAMUT_TOLERANCE &&
    rgb[1] >= -GAMUT_TOLERANCE &&
    rgb[1] <= 1 + GAMUT_TOLERANCE &&
    rgb[2] >= -GAMUT_TOLERANCE &&
    rgb[2] <= 1 + GAMUT_TOLERANCE
  );
}

// Linear RGB of an out-of-gamut Lab color with its chroma lowered by bisection until it fits,
// the lightness kept (lab_to_rgb_keep_lightness), into scratch.
function fitChroma(L, a, b, scratch) {
  let low = 0.0;
  let high = 1.0;
  for (let step = 0; step < CHROMA_STEPS; step++) {
    const middle = (low + high) / 2.0;
    labToLinear(L, a * middle, b * middle, scratch);
    if (inGamut(scratch)) low = middle;
    else high = middle;
  }
  return labToLinear(L, a * low, b * low, scratch);
}

// Lab -> 8-bit sRGB; out-of-gamut colors lose chroma by bisection (lab_to_rgb_keep_lightness).
export function labTo8bit(L, a, b, out, scratch) {
  labToLinear(L, a, b, scratch);
  if (!inGamut(scratch)) fitChroma(L, a, b, scratch);
  for (let j = 0; j < 3; j++) out[j] = Math.round(linearToSrgb(scratch[j]) * 255.0);
  return out;
}

// ---- Pillow's BILINEAR resize (Resample.c), 8 bits per channel ------------------------------

const PRECISION_BITS = 32 - 8 - 2;
const PRECISION_ONE = 2 ** PRECISION_BITS;

function bilinearFilter(x) {
  const ax = Math.abs(x);
  return ax < 1.0 ? 1.0 - ax : 0.0;
}

// Integer coefficients and bounds of one axis, as precompute_coeffs + normalize_coeffs_8bpc.
export function pillowCoefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1.0);
  const support = 1.0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Int32Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  const weights = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1.0 / filterscale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) {
      const w = bilinearFilter((x + xmin - center + 0.5) * ss);
      weights[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0.0 ? weights[x] / ww : weights[x];
      kk[xx * ksize + x] = Math.trunc(k < 0 ? -0.5 + k * PRECISION_ONE : 0.5 + k * PRECISION_ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { kk, bounds, ksize };
}

function clip8(ss) {
  const v = Math.floor(ss / PRECISION_ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

// One output pixel of a pass: `count` source pixels from `first`, `step` apart, weighted by the
// fixed-point coefficients kk[k..], rounded as Pillow rounds (half of one unit added first).
function convolve3(src, first, step, kk, k, count, out, o) {
  let s0 = PRECISION_ONE / 2;
  let s1 = s0;
  let s2 = s0;
  for (let i = 0, p = first; i < count; i++, p += step) {
    const w = kk[k + i];
    s0 += src[p] * w;
    s1 += src[p + 1] * w;
    s2 += src[p + 2] * w;
  }
  out[o] = clip8(s0);
  out[o + 1] = clip8(s1);
  out[o + 2] = clip8(s2);
}

// Resize packed RGBA (stride 4, alpha ignored) of sw x sh to packed RGB of dw x dh, exactly as
// `Image.fromarray(rgb).resize((dw, dh), Image.BILINEAR)` for an RGB image.
export function resizeBilinearRGB(rgba, sw, sh, dw, dh) {
  if (sw === dw && sh === dh) {
    const copy = new Uint8Array(dw * dh * 3);
    for (let i = 0, j = 0; i < sw * sh * 4; i += 4, j += 3) {
      copy[j] = rgba[i];
      copy[j + 1] = rgba[i + 1];
      copy[j + 2] = rgba[i + 2];
    }
    return copy;
  }
  const horiz = pillowCoefficients(sw, dw);
  const vert = pillowCoefficients(sh, dh);
  const needH = sw !== dw;
  const needV = sh !== dh;
  const yFirst = vert.bounds[0];
  const yLast = vert.bounds[dh * 2 - 2] + vert.bounds[dh * 2 - 1];
  // Source rows as an RGB view: (image, width, rows, row offset, stride per pixel).
  let src = rgba;
  let srcStride = 4;
  let srcW = sw;
  let rowShift = 0;
  if (needH) {
    const rows = yLast - yFirst;
    const tmp = new Uint8Array(dw * rows * 3);
    for (let y = 0; y < rows; y++) {
      const inRow = (y + yFirst) * sw * 4;
      for (let xx = 0; xx < dw; xx++) {
        const first = inRow + horiz.bounds[xx * 2] * 4;
        const count = horiz.bounds[xx * 2 + 1];
        convolve3(rgba, first, 4, horiz.kk, xx * horiz.ksize, count, tmp, (y * dw + xx) * 3);
      }
    }
    src = tmp;
    srcStride = 3;
    srcW = dw;
    rowShift = yFirst;
  }
  const out = new Uint8Array(dw * dh * 3);
  if (!needV) {
    for (let y = 0; y < dh; y++) {
      for (let x = 0; x < dw; x++) {
        const p = (y * srcW + x) * srcStride;
        const o = (y * dw + x) * 3;
        out[o] = src[p];
        out[o + 1] = src[p + 1];
        out[o + 2] = src[p + 2];
      }
    }
    return out;
  }
  for (let yy = 0; yy < dh; yy++) {
    const ymin = vert.bounds[yy * 2] - rowShift;
    const count = vert.bounds[yy * 2 + 1];
    for (let xx = 0; xx < dw; xx++) {
      const first = (ymin * srcW + xx) * srcStride;
      convolve3(src, first, srcW * srcStride, vert.kk, yy * vert.ksize, count, out, (yy * dw + xx) * 3);
    }
  }
  return out;
}

// ---- is it a gray photo? --------------------------------------------------------------------

// kcolor.color.photo_filters.is_grayscale, the rule the training data and manifest use: gray
// when under 1% of the pixels have a channel spread (max - min of R, G, B) above 8 and the mean
// spread is under 3. `rgba` is ImageData's bytes.
export const GRAY_PIXEL_SPREAD = 8;
export const GRAY_MAX_COLORED_SHARE = 0.01;
export const GRAY_MAX_MEAN_SPREAD = 3;

export function isGrayscale(rgba) {
  const pixels = rgba.length / 4;
  let colored = 0;
  let spreadSum = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const r = rgba[i], g = rgba[i + 1], b = rgba[i + 2];
    const spread = Math.max(r, g, b) - Math.min(r, g, b);
    spreadSum += spread;
    if (spread > GRAY_PIXEL_SPREAD) colored++;
  }
  return colored / pixels < GRAY_MAX_COLORED_SHARE && spreadSum / pixels < GRAY_MAX_MEAN_SPREAD;
}

// ---- the small copy the model sees ---------------------------------------------------------

// Size of the small copy: long side `limit`, never enlarged (colorizer._predict_small).
export function smallSize(width, height, limit) {
  const scale = Math.min(1.0, limit / Math.max(height, width));
  return [Math.max(1, pyRound(width * scale)), Math.max(1, pyRound(height * scale))];
}

// Python's round(): halves to even.
export function pyRound(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// numpy.pad(mode="reflect") index, or "edge" when the image is too small to reflect.
function padIndex(i, size, reflect) {
  if (i < size) return i;
  if (!reflect) return size - 1;
  return 2 * (size - 1) - i;
}

// The model's input: CIE L of the small RGB copy (h x w), padded at the bottom and right to
// th x tw by reflection, as a Float32Array of L in [0, 100].
export function paddedLightness(smallRgb, w, h, tw, th) {
  const L = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    L[i] = lightnessOf(
      Math.fround(smallRgb[i * 3] / 255),
      Math.fround(smallRgb[i * 3 + 1] / 255),
      Math.fround(smallRgb[i * 3 + 2] / 255),
    );
  }
  const reflect = th - h < h && tw - w < w;
  const out = new Float32Array(tw * th);
  for (let y = 0; y < th; y++) {
    const sy = padIndex(y, h, reflect);
    for (let x = 0; x < tw; x++) out[y * tw + x] = L[sy * w + padIndex(x, w, reflect)];
  }
  return out;
}

// ---- full resolution ------------------------------------------------------------------------

// Source indices and float32 weights of a bilinear resize with half-pixel centers.
export function bilinearCoordinates(sizeIn, sizeOut) {
  const low = new Int32Array(sizeOut);
  const high = new Int32Array(sizeOut);
  const weight = new Float32Array(sizeOut);
  for (let i = 0; i < sizeOut; i++) {
    let position = (i + 0.5) * (sizeIn / sizeOut) - 0.5;
    position = Math.min(Math.max(position, 0.0), sizeIn - 1);
    low[i] = Math.floor(position);
    high[i] = Math.min(low[i] + 1, sizeIn - 1);
    weight[i] = position - low[i];
  }
  return { low, high, weight };
}

// ab of the small copy (h x w x 2, Lab units, from a th x tw output cropped to h x w) widened
// to the photo's width: Float32Array h x W x 2 (colorizer._join_full_resolution's first step).
export function widenAb(abPadded, tw, w, h, width) {
  const cols = bilinearCoordinates(w, width);
  const wide = new Float32Array(h * width * 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < width; x++) {
      const wgt = cols.weight[x];
      const lo = (y * tw + cols.low[x]) * 2;
      const hi = (y * tw + cols.high[x]) * 2;
      const o = (y * width + x) * 2;
      wide[o] = Math.fround(abPadded[lo] * Math.fround(1 - wgt) + abPadded[hi] * wgt);
      wide[o + 1] = Math.fround(abPadded[lo + 1] * Math.fround(1 - wgt) + abPadded[hi + 1] * wgt);
    }
  }
  return wide;
}

// ---- the fast join (kcolor/inference/join.py in JavaScript) --------------------------------

// f(Y) of a gray pixel per 8-bit level, and the sRGB encoding table (linear step -> level):
// no cube root for a gray photo and no power per channel, as the command line does.
const GRAY_F_Y = Float32Array.from(LINEAR_TABLE, (y) => Math.fround(labF(y)));
const SRGB_LEVELS = 65536;
const SRGB_TABLE = Uint8Array.from({ length: SRGB_LEVELS }, (_, i) =>
  Math.round(linearToSrgb(Math.fround(i / (SRGB_LEVELS - 1))) * 255.0),
);
const M = XYZ_TO_RGB;

function fInverse(f) {
  return f > LAB_CUBE_BREAK ? f * f * f : (f - LAB_OFFSET) / LAB_KAPPA_SLOPE;
}

function encode(linear) {
  const x = linear < 0 ? 0 : linear > 1 ? 1 : linear;
  return SRGB_TABLE[(x * (SRGB_LEVELS - 1) + 0.5) | 0];
}

// Colorize rows [top, top + rows) of the photo in place: rgba (the photo, W x H, RGBA) gets
// the joined colors; alpha is left as it is. Same math as labTo8bit, unrolled for speed.
export function joinBand(rgba, width, height, wide, h, top, rows) {
  const rowsC = bilinearCoordinates(h, height);
  const scratch = [0, 0, 0];
  const end = Math.min(top + rows, height);
  for (let y = top; y < end; y++) {
    const wgt = rowsC.weight[y];
    const keep = Math.fround(1 - wgt);
    const lo = rowsC.low[y] * width * 2;
    const hi = rowsC.high[y] * width * 2;
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      const a = Math.fround(wide[lo + x * 2] * keep + wide[hi + x * 2] * wgt);
      const b = Math.fround(wide[lo + x * 2 + 1] * keep + wide[hi + x * 2 + 1] * wgt);
      const r8 = rgba[p];
      const g8 = rgba[p + 1];
      const b8 = rgba[p + 2];
      let fy;
      let yy;
      if (r8 === g8 && g8 === b8) {
        fy = GRAY_F_Y[r8];
        yy = LINEAR_TABLE[r8];
      } else {
        const L = lightness8(r8, g8, b8);
        fy = (L + 16.0) / 116.0;
        yy = fInverse(fy);
      }
      const xx = fInverse(fy + a / 500.0);
      const zz = fInverse(Math.max(fy - b / 200.0, 0.0));
      const red = xx * M[0][0] + yy * M[1][0] + zz * M[2][0];
      const green = xx * M[0][1] + yy * M[1][1] + zz * M[2][1];
      const blue = xx * M[0][2] + yy * M[1][2] + zz * M[2][2];
      const lowest = Math.min(red, green, blue);
      const highest = Math.max(red, green, blue);
      if (lowest >= -GAMUT_TOLERANCE && highest <= 1 + GAMUT_TOLERANCE) {
        rgba[p] = encode(red);
        rgba[p + 1] = encode(green);
        rgba[p + 2] = encode(blue);
      } else {
        fitChroma(116.0 * fy - 16.0, a, b, scratch); // out of gamut: lower the chroma
        rgba[p] = encode(scratch[0]);
        rgba[p + 1] = encode(scratch[1]);
        rgba[p + 2] = encode(scratch[2]);
      }
    }
  }
}
