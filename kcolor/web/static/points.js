// Color points, hints files, reference palettes and suggestions for the page, in plain
// JavaScript: each function follows its Python twin (named beside it) so the page's colors are
// `kcolor colorize --hints`'s. Pure functions, no DOM: the worker, the page and the tests
// import the same code.

import { labOf, labTo8bit, pyRound } from "./colorize.js";

export const HINTS_VERSION = 1;
export const MAX_HINTS_BYTES = 1_000_000;
export const MAX_POINTS = 10_000;
export const HINTS_SUFFIX = ".hints.json";
const DEFAULT_SIDE_PER_256 = 6.0;
const PALETTE_STRIDE = 4;
const SUGGESTION_RADIUS = 15.0;
const FILE_KEYS = new Set(["version", "points"]);
const POINT_KEYS = new Set(["x", "y", "color", "size"]);
const COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** The (a, b) of an sRGB "#rrggbb" color (ColorPoint.ab). */
export function abOfHex(hex) {
  const value = (i) => Math.fround(parseInt(hex.slice(i, i + 2), 16) / 255.0);
  return labOf(value(1), value(3), value(5)).slice(1);
}

/** "#rrggbb" of a Lab color, chroma lowered until it fits sRGB (lab_to_rgb_keep_lightness). */
export function hexOfLab(L, a, b) {
  const rgb = labTo8bit(L, a, b, [0, 0, 0], [0, 0, 0]);
  return "#" + rgb.map((v) => v.toString(16).padStart(2, "0")).join("");
}

/** A number as Python's `f"{x:g}"` writes the common cases (messages only). */
function g(x) {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

/**
 * The checked points of a hints file's text for a width x height photo (parse_hints and
 * read_hints_file): `[{x, y, color, size}]`; throws an Error whose message names the file and
 * the point, as the CLI's does.
 */
export function parseHints(text, width, height, name = "hints") {
  if (text.length > MAX_HINTS_BYTES) {
    throw new Error(`${name}: over the ${MAX_HINTS_BYTES.toLocaleString("en")}-byte limit of a hints file`);
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${name}: invalid JSON (${error.message})`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new Error(`${name}: expected a JSON object with version and points`);
  }
  const unknown = Object.keys(data).filter((key) => !FILE_KEYS.has(key)).sort();
  if (unknown.length) throw new Error(`${name}: unknown key '${unknown[0]}' (expected version, points)`);
  if (data.version !== HINTS_VERSION) {
    throw new Error(`${name}: version ${JSON.stringify(data.version ?? null)} is not supported (expected ${HINTS_VERSION})`);
  }
  if (!Array.isArray(data.points)) throw new Error(`${name}: points must be a list`);
  if (data.points.length > MAX_POINTS) {
    throw new Error(`${name}: ${data.points.length.toLocaleString("en")} points, over the limit of ${MAX_POINTS.toLocaleString("en")}`);
  }
  return data.points.map((point, index) => parsePoint(point, index, width, height, name));
}

function parsePoint(point, index, width, height, name) {
  const where = `${name}: point ${index + 1}`;
  if (point === null || typeof point !== "object" || Array.isArray(point)) {
    throw new Error(`${where}: expected an object with x, y and color`);
  }
  const unknown = Object.keys(point).filter((key) => !POINT_KEYS.has(key)).sort();
  if (unknown.length) throw new Error(`${where}: unknown key '${unknown[0]}' (expected x, y, color, size)`);
  for (const key of ["x", "y", "color"]) {
    if (!(key in point)) throw new Error(`${where}: missing ${key}`);
  }
  const number = (key) => {
    const value = point[key];
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new Error(`${where}: ${key} must be a number, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const x = number("x");
  const y = number("y");
  if (!(x >= 0 && x < width && y >= 0 && y < height)) {
    throw new Error(`${where}: (${g(x)}, ${g(y)}) is outside the ${width}x${height} photo (x in 0..${width - 1}, y in 0..${height - 1})`);
  }
  let color = point.color;
  if (typeof color !== "string" || !COLOR.test(color)) {
    throw new Error(`${where}: color ${JSON.stringify(color)} is not an sRGB #rrggbb color`);
  }
  if (color.length === 4) color = "#" + [...color.slice(1)].map((c) => c + c).join("");
  let size = null;
  if (point.size !== undefined && point.size !== null) {
    size = number("size");
    if (size <= 0 || size > Math.max(width, height)) {
      throw new Error(`${where}: size ${g(size)} must be in (0, ${Math.max(width, height)}]`);
    }
  }
  return { x, y, color: color.toLowerCase(), size };
}

/** The text "Save points" writes (write_hints_file's format). */
export function hintsDocument(points) {
  const entries = points.map(({ x, y, color, size }) =>
    size === null || size === undefined ? { x, y, color } : { x, y, color, size },
  );
  return JSON.stringify({ version: HINTS_VERSION, points: entries }, null, 1) + "\n";
}

/** "photo.hints.json" for "photo.jpg" (sidecar_path). */
export function sidecarName(photoName) {
  const dot = photoName.lastIndexOf(".");
  return `${dot > 0 ? photoName.slice(0, dot) : photoName}${HINTS_SUFFIX}`;
}

/**
 * The hint map (Lab-unit ab) and mask of `points` on the network's grid (hint_maps), on a
 * padded tw x th input whose first w x h pixels are the photo (Guidance.padded: zeros after).
 */
export function hintMaps(points, width, height, scale, w, h, tw, th) {
  const hintAb = new Float32Array(tw * th * 2);
  const mask = new Float32Array(tw * th);
  const defaultSide = (Math.min(width, height) * DEFAULT_SIDE_PER_256) / 256.0;
  for (const point of points) {
    let side = (point.size ?? defaultSide) * scale;
    side = Math.max(1, Math.min(pyRound(side), h, w));
    const centerX = (point.x + 0.5) * scale;
    const centerY = (point.y + 0.5) * scale;
    const left = Math.min(Math.max(pyRound(centerX - side / 2.0), 0), w - side);
    const top = Math.min(Math.max(pyRound(centerY - side / 2.0), 0), h - side);
    const [a, b] = abOfHex(point.color);
    for (let y = top; y < top + side; y++) {
      for (let x = left; x < left + side; x++) {
        const i = y * tw + x;
        hintAb[2 * i] = a;
        hintAb[2 * i + 1] = b;
        mask[i] = 1.0;
      }
    }
  }
  return { hintAb, mask };
}

/** "No reference": zeros, flag 0 (no_palette). */
export function noPalette(binCount) {
  return new Float32Array(binCount + 1);
}

/** Index of the nearest bin of each (a, b) when the bins are cells of a grid (nearest_grid_bin). */
function binLookup(centers, grid) {
  const keys = centers.map(([a, b]) => [Math.round(a / grid), Math.round(b / grid)]);
  const low = [Math.min(...keys.map((k) => k[0])), Math.min(...keys.map((k) => k[1]))];
  const high = [Math.max(...keys.map((k) => k[0])), Math.max(...keys.map((k) => k[1]))];
  const span = high[1] - low[1] + 1;
  const table = new Int32Array((high[0] - low[0] + 1) * span).fill(-1);
  keys.forEach(([i, j], index) => { table[(i - low[0]) * span + (j - low[1])] = index; });
  return (a, b) => {
    const i = pyRound(a / grid) - low[0]; // numpy.rint: halves to even, as Python's round
    const j = pyRound(b / grid) - low[1];
    if (i >= 0 && j >= 0 && i <= high[0] - low[0] && j < span) {
      const index = table[i * span + j];
      if (index >= 0) return index;
    }
    let best = 0;
    let bestD = Infinity;
    centers.forEach(([ca, cb], index) => {
      const d = (a - ca) ** 2 + (b - cb) ** 2;
      if (d < bestD) { bestD = d; best = index; }
    });
    return best;
  };
}

/**
 * The palette of a color photo already shrunk as the network sees it (reference_palette then
 * palette_histogram): the share of pixels (every 4th row and column) nearest each bin, then 1.
 * `rgb` holds 8-bit RGB triplets of a w x h image.
 */
export function paletteOf(rgb, w, h, centers, grid) {
  const nearest = binLookup(centers, grid);
  const counts = new Float64Array(centers.length);
  let total = 0;
  for (let y = 0; y < h; y += PALETTE_STRIDE) {
    for (let x = 0; x < w; x += PALETTE_STRIDE) {
      const i = 3 * (y * w + x);
      const [, a, b] = labOf(Math.fround(rgb[i] / 255), Math.fround(rgb[i + 1] / 255), Math.fround(rgb[i + 2] / 255));
      counts[nearest(a, b)] += 1;
      total += 1;
    }
  }
  const palette = new Float32Array(centers.length + 1);
  for (let q = 0; q < centers.length; q++) palette[q] = counts[q] / Math.max(1, total);
  palette[centers.length] = 1.0;
  return palette;
}

/**
 * The k most likely colors of one pixel's distribution, neighbor bins merged
 * (merged_suggestions): `[{ab: [a, b], probability}]`, most likely first.
 */
export function mergedSuggestions(probs, centers, k, radius = SUGGESTION_RADIUS) {
  const order = [...probs.keys()].sort((i, j) => probs[j] - probs[i] || i - j);
  const free = new Array(probs.length).fill(true);
  const groups = [];
  for (const seed of order) {
    if (!free[seed]) continue;
    let mass = 0;
    let a = 0;
    let b = 0;
    for (let q = 0; q < probs.length; q++) {
      if (!free[q]) continue;
      if (Math.hypot(centers[q][0] - centers[seed][0], centers[q][1] - centers[seed][1]) > radius) continue;
      free[q] = false;
      mass += probs[q];
      a += probs[q] * centers[q][0];
      b += probs[q] * centers[q][1];
    }
    const weight = Math.max(mass, 1e-12);
    groups.push({ ab: [a / weight, b / weight], probability: mass });
  }
  groups.sort((x, y) => y.probability - x.probability);
  return groups.slice(0, k);
}
