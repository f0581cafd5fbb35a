// The page's Web Worker: runs the .tflite with LiteRT.js on the CPU (wasm) and colorizes one
// photo at a time, so the page stays responsive. A classic worker: LiteRT.js loads its wasm
// glue with importScripts(), which module workers lack; its ES modules come in through import().
//
// Messages in:  {type: "load", modelUrl}        -> {type: "loaded", size, seconds}
//               {type: "colorize", id, file, force}
//                                               -> {type: "progress", id, stage, fraction}*,
//                                                  {type: "done", id, png, width, height, timings}
//                                                  or {type: "colored", id} (a color photo,
//                                                  left alone unless `force`)
//                                                  or {type: "error", id, message}

const WASM_DIR = "vendor/litertjs/wasm/";
const WASM_GLUE = "litert_wasm_compat_internal.js"; // one thread, plain SIMD: any browser
const WASM_GLUE_THREADED = "litert_wasm_threaded_internal.js"; // isolated pages, relaxed SIMD
const TIFF_SCRIPTS = ["vendor/utif/pako_inflate.min.js", "vendor/utif/UTIF.js"];

let lite = null;
let pipeline = null;
let model = null;
let modelSize = 0;
let threads = false;

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
  return { size: modelSize, seconds: (performance.now() - started) / 1000, threads };
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

async function colorize(id, file, force) {
  const timings = {};
  let start = performance.now();
  const { canvas, context, width, height } = await decode(file);
  const image = context.getImageData(0, 0, width, height);
  const rgba = image.data;
  timings.decode = (performance.now() - start) / 1000;
  if (!force && !pipeline.isGrayscale(rgba)) {
    postMessage({ type: "colored", id }); // its own colors would be lost: the user decides
    return;
  }
  postMessage({ type: "progress", id, stage: "decoded", fraction: 0.1 });

  start = performance.now();
  const [w, h] = pipeline.smallSize(width, height, modelSize);
  const small = pipeline.resizeBilinearRGB(rgba, width, height, w, h);
  const lightness = pipeline.paddedLightness(small, w, h, modelSize, modelSize);
  const input = new lite.Tensor(lightness, [1, modelSize, modelSize, 1]);
  let outputs;
  try {
    outputs = await model.run([input]);
  } finally {
    input.delete();
  }
  const ab = Float32Array.from(outputs[0].toTypedArray());
  for (const tensor of outputs) tensor.delete();
  timings.inference = (performance.now() - start) / 1000;
  postMessage({ type: "progress", id, stage: "colors", fraction: 0.4 });

  // Upsample and join in bands of rows: a 24 MP photo never needs a full-size float image.
  start = performance.now();
  const wide = pipeline.widenAb(ab, modelSize, w, h, width);
  for (let top = 0; top < height; top += pipeline.BAND_ROWS) {
    pipeline.joinBand(rgba, width, height, wide, h, top, pipeline.BAND_ROWS);
    const done = Math.min(1, (top + pipeline.BAND_ROWS) / height);
    postMessage({ type: "progress", id, stage: "joining", fraction: 0.4 + 0.5 * done });
  }
  context.putImageData(image, 0, 0);
  timings.join = (performance.now() - start) / 1000;

  start = performance.now();
  const png = await canvas.convertToBlob({ type: "image/png" });
  timings.encode = (performance.now() - start) / 1000;
  postMessage({ type: "done", id, png, width, height, timings });
}

self.onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.type === "load") {
      postMessage({ type: "loaded", ...(await load(message.modelUrl)) });
    } else if (message.type === "colorize") {
      await colorize(message.id, message.file, Boolean(message.force));
    }
  } catch (error) {
    postMessage({ type: "error", id: message.id, message: String(error.message || error) });
  }
};
