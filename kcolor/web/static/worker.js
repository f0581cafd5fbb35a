// The page's Web Worker: runs the .tflite with LiteRT.js on the CPU (wasm) and colorizes one
// photo at a time, so the page stays responsive. A classic worker: LiteRT.js loads its wasm
// glue with importScripts(), which module workers lack; its ES modules come in through import().
// Messages are handled one after another (a chain of promises): the model is never run twice at
// once, and a recolor queued behind a colorize sees its photo.
//
// Messages in:  {type: "load", modelUrl}        -> {type: "loaded", size, seconds, threads, guided}
//               {type: "colorize", id, file, force}
//                                               -> {type: "progress", id, stage, fraction}*,
//                                                  {type: "done", id, png, bitmap, width, height,
//                                                  timings}
//                                                  or {type: "colored", id} (a color photo,
//                                                  left alone unless `force`)
//                                                  or {type: "error", id, message}
//               {type: "recolor", id, file, seq, points, palette}
//                                               -> {type: "recolored", id, seq, bitmap, seconds},
//                                                  then {type: "encoded", id, seq, png}
//               {type: "suggest", id, file, seq, x, y, points, palette}
//                                               -> {type: "suggested", id, seq, x, y,
//                                                  suggestions: [{color, probability}], seconds}
//               {type: "palette", id, seq, file} -> {type: "palette", id, seq, palette, name}
// Guided messages need a guided model (signatures colorize_guided and suggest): "loaded" says.

const WASM_DIR = "vendor/litertjs/wasm/";
const WASM_GLUE = "litert_wasm_compat_internal.js"; // one thread, plain SIMD: any browser
const WASM_GLUE_THREADED = "litert_wasm_threaded_internal.js"; // isolated pages, relaxed SIMD
const TIFF_SCRIPTS = ["vendor/utif/pako_inflate.min.js", "vendor/utif/UTIF.js"];

let lite = null;
let pipeline = null;
let points = null;
let model = null;
let modelSize = 0;
let threads = false;
let guided = false;
let bins = null; // {grid, centers}: the model's ab bins, for palettes and suggestions
const photos = new Map(); // id -> decoded photo and its network input, the last few only
const KEPT_PHOTOS = 2;
const GUIDED_SIGNATURE = "colorize_guided";
const SUGGEST_SIGNATURE = "suggest";

async function fetchBytes(url) {
  // loadAndCompile(url) would not notice an HTTP error: fetch the bytes here and check.
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function load(modelUrl) {
  const started = performance.now();
  if (!lite) {
    lite = await import("./vendor/litertjs/core.js");
    pipeline = await import("./colorize.js");
    points = await import("./points.js");
    bins = await (await fetch("ab_bins.json")).json();
    // Threads need SharedArrayBuffer (a cross-origin isolated page: `kcolor web` sends
    // COOP/COEP) and LiteRT's threaded build needs relaxed SIMD; otherwise (a plain static
    // server, an older browser) the compat build runs on one thread.
    threads = Boolean(self.crossOriginIsolated) && (await lite.supportsFeature("relaxedSimd"));
    const glue = threads ? WASM_GLUE_THREADED : WASM_GLUE;
    const glueUrl = new URL(`${WASM_DIR}${glue}`, self.location.href).href;
    // The wasm glue looks for its .wasm beside the worker unless told where it is, and starts
    // its thread workers from this worker's own script unless told the glue's; an abort
    // (a missing or broken .wasm) is reported instead of leaving the page waiting.
    self.Module = {
      locateFile: (name) => new URL(`${WASM_DIR}${name}`, self.location.href).href,
      mainScriptUrlOrBlob: glueUrl,
      onAbort: (reason) => postMessage({ type: "error", message: `LiteRT failed: ${reason}` }),
      // LiteRT's C++ writes its INFO lines (the XNNPACK delegate...) to stderr, which the glue
      // sends to console.error by default: the console showed errors on every load.
      print: (line) => console.log(line),
      printErr: (line) => (/^(INFO|I\d{4}|VERBOSE)\b/.test(line) ? console.debug : console.warn)(line),
    };
    await lite.loadLiteRt(glueUrl);
  }
  if (model) model.delete();
  const options = { accelerator: "wasm" };
  if (threads) options.cpuOptions = { numThreads: Math.max(1, navigator.hardwareConcurrency || 1) };
  model = await lite.loadAndCompile(await fetchBytes(modelUrl), options);
  const shape = model.getInputDetails()[0].shape;
  modelSize = shape[1];
  guided = GUIDED_SIGNATURE in model.signatures && SUGGEST_SIGNATURE in model.signatures;
  photos.clear();
  return { size: modelSize, seconds: (performance.now() - started) / 1000, threads, guided };
}

function isTiff(bytes) {
  const tag = String.fromCharCode(...bytes.subarray(0, 4));
  return tag === "II*\0" || tag === "MM\0*";
}

// TIFF (scanners write it; only Safari decodes it natively) through UTIF.js, first page only,
// its Orientation tag applied as Pillow's exif_transpose does in the CLI.
function decodeTiff(buffer) {
  if (!self.UTIF) importScripts(...TIFF_SCRIPTS.map((p) => new URL(p, self.location.href).href));
  let page;
  let rgba;
  try {
    page = UTIF.decode(buffer)[0];
    UTIF.decodeImage(buffer, page);
    rgba = sixteenBitGray(page) || UTIF.toRGBA8(page);
  } catch (error) {
    throw new Error("not a readable TIFF image");
  }
  if (!page || !page.width || !page.height || rgba.length !== page.width * page.height * 4) {
    throw new Error("not a readable TIFF image");
  }
  const source = new OffscreenCanvas(page.width, page.height);
  source.getContext("2d").putImageData(
    new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), page.width),
    0,
    0,
  );
  return oriented(source, page.t274 ? page.t274[0] : 1);
}

// 16-bit gray (BlackIsZero) scaled to 8 bits as kcolor.image_io does (round(v / 257), or the
// values as they are when none exceeds 255); UTIF.js keeps only the high byte. null otherwise.
function sixteenBitGray(page) {
  const bits = page.t258 ? page.t258[0] : 1;
  const samples = page.t277 ? page.t277[0] : 1;
  if (bits !== 16 || samples !== 1 || !page.t262 || page.t262[0] !== 1) return null;
  const count = page.width * page.height;
  const values = new Uint16Array(count);
  let max = 0;
  for (let i = 0; i < count; i++) {
    values[i] = page.data[2 * i] | (page.data[2 * i + 1] << 8); // UTIF.js made it little-endian
    if (values[i] > max) max = values[i];
  }
  const scale = max > 255 ? 257 : 1;
  const rgba = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    const v = Math.min(255, Math.round(values[i] / scale));
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

// The canvas turned upright for a TIFF/EXIF orientation 1-8 (2-8 mirror or rotate).
function oriented(source, orientation) {
  const { width: w, height: h } = source;
  const swap = orientation >= 5 && orientation <= 8;
  const canvas = new OffscreenCanvas(swap ? h : w, swap ? w : h);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const transforms = {
    1: [1, 0, 0, 1, 0, 0], 2: [-1, 0, 0, 1, w, 0], 3: [-1, 0, 0, -1, w, h],
    4: [1, 0, 0, -1, 0, h], 5: [0, 1, 1, 0, 0, 0], 6: [0, 1, -1, 0, h, 0],
    7: [0, -1, -1, 0, h, w], 8: [0, -1, 1, 0, 0, w],
  };
  context.setTransform(...(transforms[orientation] || transforms[1]));
  context.drawImage(source, 0, 0);
  context.setTransform(1, 0, 0, 1, 0, 0);
  return { canvas, context, width: canvas.width, height: canvas.height };
}

async function decode(file) {
  if (isTiff(new Uint8Array(await file.slice(0, 4).arrayBuffer()))) {
    return decodeTiff(await file.arrayBuffer());
  }
  // Upright (EXIF orientation applied) and without color management, as Pillow reads it.
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, {
      imageOrientation: "from-image",
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
  } catch (error) {
    throw new Error("not a readable image (JPEG, PNG, WebP or TIFF)");
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { canvas, context, width: canvas.width, height: canvas.height };
}

// The photo decoded, shrunk and turned into the network's input, kept for its recolors.
async function photoOf(id, file) {
  if (photos.has(id)) return photos.get(id);
  const { canvas, context, width, height } = await decode(file);
  const image = context.getImageData(0, 0, width, height);
  const [w, h] = pipeline.smallSize(width, height, modelSize);
  const small = pipeline.resizeBilinearRGB(image.data, width, height, w, h);
  const lightness = pipeline.paddedLightness(small, w, h, modelSize, modelSize);
  const photo = { canvas, context, image, original: image.data.slice(), width, height, w, h, lightness };
  photos.set(id, photo);
  while (photos.size > KEPT_PHOTOS) photos.delete(photos.keys().next().value);
  return photo;
}

// One output of a guided signature (colorize_guided's ab, suggest's probabilities) for the
// photo with these points and palette, copied out of the wasm memory.
async function runGuided(photo, signature, pointList, palette) {
  const size = modelSize;
  const q = bins.centers.length;
  const { hintAb, mask } = points.hintMaps(
    pointList, photo.width, photo.height, photo.h / photo.height, photo.w, photo.h, size, size,
  );
  const inputs = {
    lightness: new lite.Tensor(photo.lightness, [1, size, size, 1]),
    hint_ab: new lite.Tensor(hintAb, [1, size, size, 2]),
    hint_mask: new lite.Tensor(mask, [1, size, size, 1]),
    palette: new lite.Tensor(palette || points.noPalette(q), [1, q + 1]),
  };
  try {
    const outputs = Object.values(await model.run(signature, inputs));
    const values = Float32Array.from(outputs[0].toTypedArray());
    for (const tensor of outputs) tensor.delete();
    return values;
  } finally {
    for (const tensor of Object.values(inputs)) tensor.delete();
  }
}

// The network's ab (Lab units, the padded model-size square): the automatic signature without
// points or palette (exactly the automatic colors), else the guided one.
async function predict(photo, pointList = [], palette = null) {
  if (pointList.length || palette) return runGuided(photo, GUIDED_SIGNATURE, pointList, palette);
  const input = new lite.Tensor(photo.lightness, [1, modelSize, modelSize, 1]);
  try {
    const outputs = await model.run([input]);
    const ab = Float32Array.from(outputs[0].toTypedArray());
    for (const tensor of outputs) tensor.delete();
    return ab;
  } finally {
    input.delete();
  }
}

// The photo's own lightness joined with `ab` at full resolution, into its canvas; `progress`
// is told the share of rows done.
function join(photo, ab, progress = () => {}) {
  const { width, height, image } = photo;
  image.data.set(photo.original);
  const wide = pipeline.widenAb(ab, modelSize, photo.w, photo.h, width);
  for (let top = 0; top < height; top += pipeline.BAND_ROWS) {
    pipeline.joinBand(image.data, width, height, wide, photo.h, top, pipeline.BAND_ROWS);
    progress(Math.min(1, (top + pipeline.BAND_ROWS) / height));
  }
  photo.context.putImageData(image, 0, 0);
}

async function colorize(id, file, force) {
  const timings = {};
  let start = performance.now();
  photos.delete(id);
  const photo = await photoOf(id, file);
  timings.decode = (performance.now() - start) / 1000;
  if (!force && !pipeline.isGrayscale(photo.original)) {
    photos.delete(id);
    postMessage({ type: "colored", id }); // its own colors would be lost: the user decides
    return;
  }
  postMessage({ type: "progress", id, stage: "decoded", fraction: 0.1 });

  start = performance.now();
  const ab = await predict(photo);
  timings.inference = (performance.now() - start) / 1000;
  postMessage({ type: "progress", id, stage: "colors", fraction: 0.4 });

  // Upsample and join in bands of rows: a 24 MP photo never needs a full-size float image.
  start = performance.now();
  join(photo, ab, (done) => postMessage({ type: "progress", id, stage: "joining", fraction: 0.4 + 0.5 * done }));
  timings.join = (performance.now() - start) / 1000;

  start = performance.now();
  const png = await photo.canvas.convertToBlob({ type: "image/png" });
  timings.encode = (performance.now() - start) / 1000;
  const bitmap = photo.canvas.transferToImageBitmap();
  postMessage({ type: "done", id, png, bitmap, width: photo.width, height: photo.height, timings }, [bitmap]);
}

function requireGuided() {
  if (!guided) throw new Error("this model takes no color points (a guided model does)");
}

// Points or a palette changed: the new colors at full resolution, shown at once, then the PNG.
async function recolor({ id, file, seq, points: pointList, palette }) {
  if ((pointList.length || palette) && !guided) requireGuided();
  const start = performance.now();
  const photo = await photoOf(id, file);
  join(photo, await predict(photo, pointList, palette));
  const bitmap = await createImageBitmap(photo.canvas); // a copy: the canvas still makes the PNG
  const seconds = (performance.now() - start) / 1000;
  postMessage({ type: "recolored", id, seq, bitmap, seconds }, [bitmap]);
  const png = await photo.canvas.convertToBlob({ type: "image/png" });
  postMessage({ type: "encoded", id, seq, png });
}

// The colors the model finds likely at photo pixel (x, y), given the other points and palette
// (Colorizer.suggest_colors).
async function suggest({ id, file, seq, x, y, points: pointList, palette }) {
  requireGuided();
  const start = performance.now();
  const photo = await photoOf(id, file);
  const size = modelSize;
  const q = bins.centers.length;
  const probs = await runGuided(photo, SUGGEST_SIGNATURE, pointList, palette);
  const side = Math.round(Math.sqrt(probs.length / q)); // a square of cells: size / stride
  const scale = photo.h / photo.height;
  const row = Math.min(Math.floor(((y + 0.5) * scale * side) / size), side - 1);
  const col = Math.min(Math.floor(((x + 0.5) * scale * side) / size), side - 1);
  const cell = probs.subarray((row * side + col) * q, (row * side + col + 1) * q);
  const ly = Math.min(Math.floor((y + 0.5) * scale), photo.h - 1);
  const lx = Math.min(Math.floor((x + 0.5) * scale), photo.w - 1);
  const lightness = photo.lightness[ly * size + lx];
  const suggestions = points.mergedSuggestions(Array.from(cell), bins.centers, 6).map(
    ({ ab, probability }) => ({ color: points.hexOfLab(lightness, ab[0], ab[1]), probability }),
  );
  postMessage({ type: "suggested", id, seq, x, y, suggestions, seconds: (performance.now() - start) / 1000 });
}

// A reference photo's palette, as Colorizer.reference_palette computes it.
async function paletteOfFile({ id, seq, file }) {
  requireGuided();
  let decoded;
  try {
    decoded = await decode(file);
  } catch (error) {
    throw new Error(`${file.name}: ${error.message || error}`);
  }
  const { context, width, height } = decoded;
  const [w, h] = pipeline.smallSize(width, height, modelSize);
  const small = pipeline.resizeBilinearRGB(context.getImageData(0, 0, width, height).data, width, height, w, h);
  const palette = points.paletteOf(small, w, h, bins.centers, bins.grid);
  postMessage({ type: "palette", id, seq, palette, name: file.name });
}

const HANDLERS = {
  load: async (message) => postMessage({ type: "loaded", ...(await load(message.modelUrl)) }),
  colorize: (message) => colorize(message.id, message.file, Boolean(message.force)),
  recolor,
  suggest,
  palette: paletteOfFile,
};

let chain = Promise.resolve();
self.onmessage = (event) => {
  const message = event.data;
  chain = chain.then(async () => {
    try {
      await HANDLERS[message.type](message);
    } catch (error) {
      postMessage({
        type: "error", id: message.id, seq: message.seq, kind: message.type,
        message: String(error.message || error),
      });
    }
  });
};
