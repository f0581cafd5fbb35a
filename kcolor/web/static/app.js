// The page: pick or drop photos, colorize them one at a time in the worker, show before/after,
// download each PNG or all of them. Automation contract (tests/test_web.py): one
// <input type="file" multiple>; ?precision=fp32|fp16|int8; a finished photo gets an
// <a download="NAME.png">; a failed one an element of class "error" naming the file. With a
// guided model (body data-guided="yes") each photo gets a PointEditor (editor.js), and a photo's
// NAME.hints.json given with it (or after it) loads its points.

import { PointEditor } from "./editor.js";
import { HINTS_SUFFIX, sidecarName } from "./points.js";
import { zipFiles } from "./zip.js";

const MODEL_NAMES = { fp32: "default-fp32.tflite", fp16: "default-fp16.tflite", int8: "default-int8.tflite" };
// What the choice means to someone with a box of photos; the technical name is its tooltip.
const MODEL_LABELS = {
  fp32: ["Best", "fp32: full-precision model"],
  fp16: ["Smaller", "fp16: half-precision weights, nearly the same colors"],
  int8: ["Fastest", "int8: 8-bit quantized model, slightly different colors"],
  custom: ["Your model", "the .tflite file given to kcolor web --model"],
};
const ACCEPTED = /\.(jpe?g|png|webp|tiff?)$/i;
const ACCEPTED_TYPES = /^image\/(jpeg|png|webp|tiff)$/;

const worker = new Worker("worker.js");
const queue = [];
const results = new Map();
const editors = new Map(); // photo id -> PointEditor (guided models)
const waitingHints = new Map(); // "name.hints.json" -> File, until its photo is colorized
let busy = false;
let ready = false;
let guided = false;
let nextId = 0;

const $ = (selector) => document.querySelector(selector);
const status = (text) => { $("#status").textContent = text; };

// Models: `kcolor web` lists them in models.json; any static server falls back to models/.
async function modelList() {
  try {
    const response = await fetch("models.json");
    if (response.ok) return await response.json();
  } catch (error) { /* a plain static server: use the default names */ }
  const models = {};
  for (const [precision, name] of Object.entries(MODEL_NAMES)) {
    models[precision] = { url: `models/${name}`, bytes: null };
  }
  return { models };
}

function outputName(fileName) {
  const dot = fileName.lastIndexOf(".");
  return `${dot > 0 ? fileName.slice(0, dot) : fileName}.png`;
}

function megabytes(bytes) {
  return bytes ? ` (${(bytes / 1e6).toFixed(1)} MB)` : "";
}

async function init() {
  const { models } = await modelList();
  const select = $("#precision");
  const wanted = new URLSearchParams(location.search).get("precision");
  for (const [precision, entry] of Object.entries(models)) {
    const [label, tooltip] = MODEL_LABELS[precision] || [precision, precision];
    const option = new Option(`${label}${megabytes(entry.bytes)}`, precision);
    option.title = tooltip;
    select.add(option);
  }
  const showTooltip = () => { select.title = select.selectedOptions[0]?.title || ""; };
  if (wanted && models[wanted]) select.value = wanted;
  select.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("precision", select.value);
    history.replaceState(null, "", url);
    showTooltip();
    loadModel(models[select.value].url);
  });
  showTooltip();
  loadModel(models[select.value].url);
}

function loadModel(url) {
  ready = false;
  status("Loading the model…");
  worker.postMessage({ type: "load", modelUrl: url });
}

function isHintsFile(file) {
  return file.name.toLowerCase().endsWith(HINTS_SUFFIX);
}

function pageMessage(text) {
  const line = document.createElement("div");
  line.className = "message";
  line.textContent = text;
  $("#messages").append(line);
}

// Hints files go to their photo (by name: photo.jpg takes photo.hints.json), now or once it is
// colorized; the photos are queued.
function addFiles(files) {
  const photos = files.filter((file) => !isHintsFile(file));
  for (const hints of files.filter(isHintsFile)) {
    const key = hints.name.toLowerCase();
    const known = [...document.querySelectorAll("#photos > li")].find(
      (item) => item.file && sidecarName(item.file.name).toLowerCase() === key,
    );
    const coming = photos.some((file) => sidecarName(file.name).toLowerCase() === key);
    if (known && editors.has(Number(known.dataset.id))) {
      editors.get(Number(known.dataset.id)).loadHints(hints);
      continue;
    }
    waitingHints.set(key, hints); // until its photo is colorized
    if (!known && !coming) {
      pageMessage(`${hints.name}: no photo named ${hints.name.slice(0, -HINTS_SUFFIX.length)} ` +
        "among the photos; its points wait for it");
    }
  }
  for (const file of photos) {
    const id = nextId++;
    const item = document.createElement("li");
    item.dataset.id = id;
    item.innerHTML = `<div class="name"></div><progress max="1" value="0"></progress>`;
    item.querySelector(".name").textContent = file.name;
    $("#photos").append(item);
    if (!ACCEPTED.test(file.name) && !ACCEPTED_TYPES.test(file.type)) {
      fail(id, `${file.name}: not a JPEG, PNG, WebP or TIFF photo`);
      continue;
    }
    itemOf(id).file = file;
    queue.push({ id, file });
  }
  pump();
}

function itemOf(id) {
  return document.querySelector(`#photos > li[data-id="${id}"]`);
}

function fail(id, message, className = "error") {
  const item = itemOf(id);
  item.querySelector("progress")?.remove();
  const error = document.createElement("div");
  error.className = className;
  error.textContent = message;
  item.append(error);
}

function pump() {
  if (busy || !ready || queue.length === 0) return;
  busy = true;
  const { id, file, force } = queue.shift();
  status(`Colorizing ${file.name}… (${queue.length} waiting)`);
  worker.postMessage({ type: "colorize", id, file, force });
}

// One photo is over (colorized, failed or set aside): the status line says what is next.
function photoFinished() {
  busy = false;
  status(queue.length ? "" : "Done. Add more photos, or download.");
  pump();
}

// A color photo: colorizing it would replace its own colors, so the card asks first.
function askAboutColorPhoto(id) {
  const item = itemOf(id);
  item.querySelector("progress")?.remove();
  const notice = document.createElement("div");
  notice.className = "notice";
  notice.textContent = "This photo is already in color: colorizing it replaces its own " +
    "colors with the model's. ";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "colorize-anyway";
  button.textContent = "Colorize from its gray anyway";
  button.addEventListener("click", () => {
    notice.remove();
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    item.append(bar);
    queue.push({ id, file: item.file, force: true });
    pump();
  });
  notice.append(button);
  item.append(notice);
}

function showResult(message) {
  const item = itemOf(message.id);
  const file = item.file;
  const name = outputName(file.name);
  results.set(message.id, { name, png: message.png, date: new Date(file.lastModified || Date.now()) });
  const before = URL.createObjectURL(file);
  const after = URL.createObjectURL(message.png);
  item.querySelector("progress").remove();
  const compare = document.createElement("div");
  compare.className = "compare";
  compare.innerHTML = `<div class="frame"><img class="before" alt="before">
    <canvas class="after" role="img" aria-label="after"></canvas></div>
    <div class="sides"><span>Before</span>
    <input type="range" min="0" max="100" value="50" aria-label="before / after">
    <span>After</span></div>`;
  compare.querySelector(".before").src = before;
  const afterImage = compare.querySelector(".after");
  afterImage.width = message.width;
  afterImage.height = message.height;
  afterImage.getContext("2d").drawImage(message.bitmap, 0, 0);
  message.bitmap.close();
  const slider = compare.querySelector("input");
  const clip = () => { afterImage.style.clipPath = `inset(0 0 0 ${slider.value}%)`; };
  slider.addEventListener("input", clip);
  clip();
  const actions = document.createElement("div");
  actions.className = "actions";
  const link = document.createElement("a");
  link.href = after;
  link.download = name;
  link.textContent = `Download ${name}`;
  const t = message.timings;
  item.dataset.timings = JSON.stringify(t); // seconds per stage, for bench/web_bench.py
  const info = document.createElement("span");
  info.textContent = `${message.width}x${message.height}, ` +
    `${(t.decode + t.inference + t.join + t.encode).toFixed(2)} s (model ${t.inference.toFixed(2)} s)`;
  actions.append(link, info);
  item.append(compare, actions);
  item.dataset.ready = "yes";
  $("#download-all").disabled = false;
  const hints = waitingHints.get(sidecarName(file.name).toLowerCase());
  waitingHints.delete(sidecarName(file.name).toLowerCase());
  if (!guided) {
    if (hints) fail(message.id, `${hints.name}: color points need a guided model (kcolor web --model GUIDED.tflite)`, "notice");
    return;
  }
  const editor = new PointEditor({
    item,
    frame: compare.querySelector(".frame"),
    canvas: afterImage,
    photo: { id: message.id, file, name: file.name, width: message.width, height: message.height },
    send: (m) => worker.postMessage(m),
    onPng: (png) => {
      URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(png);
      results.get(message.id).png = png;
    },
    onEdit: () => {
      if (slider.value !== "0") { // the points' colors in view: the whole photo "after"
        slider.value = "0";
        clip();
      }
    },
    onPaletteForAll: (palette, paletteName) => {
      for (const other of editors.values()) other.setPalette(palette, paletteName);
    },
  });
  editors.set(message.id, editor);
  if (hints) editor.loadHints(hints);
}

worker.onmessage = (event) => {
  const message = event.data;
  const editor = editors.get(message.id);
  if (message.type === "loaded") {
    ready = true;
    guided = message.guided;
    status(`Model ready (${message.seconds.toFixed(1)} s). Add photos` +
      (guided ? ", then click a photo to give its colors." : "."));
    document.body.dataset.threads = message.threads ? "yes" : "no"; // for tests and benches
    document.body.dataset.guided = guided ? "yes" : "no";
    pump();
  } else if (message.type === "recolored") {
    editor?.recolored(message);
  } else if (message.type === "encoded") {
    editor?.encoded(message);
  } else if (message.type === "suggested") {
    editor?.suggested(message);
  } else if (message.type === "palette") {
    editor?.paletteReady(message);
  } else if (message.type === "error" && ["recolor", "suggest", "palette"].includes(message.kind)) {
    editor?.failed(message.message, message.kind);
  } else if (message.type === "progress") {
    const bar = itemOf(message.id)?.querySelector("progress");
    if (bar) bar.value = message.fraction;
  } else if (message.type === "done") {
    showResult(message);
    photoFinished();
  } else if (message.type === "colored") {
    askAboutColorPhoto(message.id);
    photoFinished();
  } else if (message.type === "error") {
    if (message.id === undefined) {
      status(`The model could not be loaded: ${message.message}`);
      return;
    }
    const file = itemOf(message.id).file;
    fail(message.id, `${file.name}: ${message.message}`);
    photoFinished();
  }
};

$("#files").addEventListener("change", (event) => {
  addFiles([...event.target.files]);
  event.target.value = "";
});
const drop = $("#drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  addFiles([...event.dataTransfer.files]);
});
$("#download-all").addEventListener("click", async () => {
  const entries = [];
  for (const { name, png, date } of results.values()) {
    entries.push({ name, date, data: new Uint8Array(await png.arrayBuffer()) });
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(zipFiles(entries));
  link.download = "kcolor-colorized.zip";
  link.click();
});

init();
