// The page's Web Worker: runs the .tflite with LiteRT.js on the CPU (wasm) and colorizes one
// photo at a time, so the page stays responsive. A classic worker: LiteRT.js loads its wasm
// glue with importScripts(), which module workers lack; its ES modules come in through import().
//
// Messages in:  {type: "load", modelUrl}        -> {type: "loaded", size, seconds}
//               {type: "colorize", id, file}    -> {type: "progress", id, stage, fraction}*,
//                                                  {type: "done", id, png, width, height, timings}
//                                                  or {type: "error", id, message}

const WASM_DIR = "vendor/litertjs/wasm/";
const WASM_GLUE = "litert_wasm_compat_internal.js";

let lite = null;
let pipeline = null;
let model = null;
let modelSize = 0;

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
    // The wasm glue looks for its .wasm beside the worker unless told where it is; an abort
    // (a missing or broken .wasm) is reported instead of leaving the page waiting.
    self.Module = {
      locateFile: (name) => new URL(`${WASM_DIR}${name}`, self.location.href).href,
      onAbort: (reason) => postMessage({ type: "error", message: `LiteRT failed: ${reason}` }),
    };
    await lite.loadLiteRt(new URL(`${WASM_DIR}${WASM_GLUE}`, self.location.href).href);
  }
  if (model) model.delete();
  model = await lite.loadAndCompile(await fetchBytes(modelUrl), { accelerator: "wasm" });
  const shape = model.getInputDetails()[0].shape;
  modelSize = shape[1];
  return { size: modelSize, seconds: (performance.now() - started) / 1000 };
}

async function decode(file) {
  // Upright (EXIF orientation applied) and without color management, as Pillow reads it.
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, {
      imageOrientation: "from-image",
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
  } catch (error) {
    throw new Error("not a readable image (JPEG, PNG or WebP)");
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { canvas, context, width: canvas.width, height: canvas.height };
}

async function colorize(id, file) {
  const timings = {};
  let start = performance.now();
  const { canvas, context, width, height } = await decode(file);
  const image = context.getImageData(0, 0, width, height);
  const rgba = image.data;
  timings.decode = (performance.now() - start) / 1000;
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
      await colorize(message.id, message.file);
    }
  } catch (error) {
    postMessage({ type: "error", id: message.id, message: String(error.message || error) });
  }
};
