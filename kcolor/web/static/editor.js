// A photo's color points and palette on the page: click (or tap) the photo for the model's
// suggested colors there, pick one (or any color), drag a point to move it, Delete / right-click
// / long-press to remove it, undo and redo, clear, save NAME.hints.json, drop a color photo for
// its palette. Each change recolors the photo in the worker; the newest result is drawn as soon
// as it comes, and its PNG becomes the download.
//
// Automation contract (tests/test_web.py, bench/web_bench.py): the photo's <li> carries
// data-ready="yes" when its download holds the current points, data-recolor-seconds and
// data-suggest-seconds (change -> colors drawn, click -> suggestions shown); suggestions are
// <button class="suggestion" data-color="#rrggbb">; the free picker is <input class="picker">.

import { hintsDocument, MAX_HINTS_BYTES, parseHints, sidecarName } from "./points.js";

const LONG_PRESS_MS = 600;
const DRAG_THRESHOLD_PX = 4;

export class PointEditor {
  /**
   * @param item the photo's <li>; frame its .frame; canvas the "after" canvas.
   * @param photo {id, file, name, width, height}
   * @param send posts a message to the worker; onPng(png) gets each new full-resolution PNG;
   * onEdit() is told of each change; onPaletteForAll(palette, name) spreads a palette.
   */
  constructor({ item, frame, canvas, photo, send, onPng, onEdit, onPaletteForAll }) {
    Object.assign(this, { item, frame, canvas, photo, send, onPng, onEdit, onPaletteForAll });
    this.points = [];
    this.undoStack = [];
    this.redoStack = [];
    this.palette = null;
    this.paletteName = "";
    this.seq = 0;
    this.inFlight = false;
    this.pending = false;
    this.started = new Map(); // seq -> performance.now() of the change
    this.choice = null; // {x, y, index}: the spot the suggestions are for
    this.build();
    this.render();
  }

  build() {
    const editor = document.createElement("div");
    editor.className = "editor";
    editor.innerHTML = `
      <p class="help">Click the photo to give a color at that spot; drag a point to move it,
        right-click or long-press it (or select it and press Delete) to remove it.</p>
      <div class="tools">
        <button type="button" class="undo" title="Ctrl+Z">Undo</button>
        <button type="button" class="redo" title="Ctrl+Y">Redo</button>
        <button type="button" class="clear">Clear points</button>
        <button type="button" class="save">Save points</button>
        <label class="palette-zone">Palette: drop a color photo here, or choose one
          <input type="file" class="palette-file" accept="image/jpeg,image/png,image/webp,image/tiff,.tif,.tiff">
        </label>
        <span class="palette-name"></span>
        <button type="button" class="palette-all" hidden>Use this palette for all photos</button>
        <button type="button" class="palette-remove" hidden>Remove palette</button>
      </div>
      <ol class="points" aria-label="Color points"></ol>
      <div class="suggestions" role="dialog" aria-label="Colors for this spot" hidden>
        <span class="where"></span>
        <span class="swatches" role="group" aria-label="Suggested colors"></span>
        <label>Any color <input type="color" class="picker"></label>
        <button type="button" class="cancel">Cancel</button>
      </div>
      <div class="hints-message" role="alert"></div>`;
    this.item.append(editor);
    this.editor = editor;
    this.marks = document.createElement("div");
    this.marks.className = "marks";
    this.frame.append(this.marks);
    const $ = (selector) => editor.querySelector(selector);
    this.list = $(".points");
    this.popup = $(".suggestions");
    $(".undo").addEventListener("click", () => this.undo());
    $(".redo").addEventListener("click", () => this.redo());
    $(".clear").addEventListener("click", () => this.commit([]));
    $(".save").addEventListener("click", () => this.save());
    $(".cancel").addEventListener("click", () => this.closeSuggestions());
    $(".picker").addEventListener("change", (event) => this.choose(event.target.value));
    $(".palette-file").addEventListener("change", (event) => {
      if (event.target.files[0]) this.requestPalette(event.target.files[0]);
      event.target.value = "";
    });
    const zone = $(".palette-zone");
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      event.stopPropagation();
      zone.classList.remove("over");
      if (event.dataTransfer.files[0]) this.requestPalette(event.dataTransfer.files[0]);
    });
    $(".palette-remove").addEventListener("click", () => this.setPalette(null, ""));
    $(".palette-all").addEventListener("click", () => this.onPaletteForAll(this.palette, this.paletteName));
    this.frame.addEventListener("click", (event) => {
      if (event.target.closest(".mark")) return;
      const { x, y } = this.photoPixel(event);
      this.openSuggestions(x, y, null);
    });
    editor.addEventListener("keydown", (event) => this.shortcut(event));
    this.frame.addEventListener("keydown", (event) => this.shortcut(event));
  }

  // ---- state ---------------------------------------------------------------------------------

  commit(points) {
    this.undoStack.push(this.points);
    this.redoStack = [];
    this.points = points;
    this.changed();
  }

  undo() {
    if (!this.undoStack.length) return;
    this.redoStack.push(this.points);
    this.points = this.undoStack.pop();
    this.changed();
  }

  redo() {
    if (!this.redoStack.length) return;
    this.undoStack.push(this.points);
    this.points = this.redoStack.pop();
    this.changed();
  }

  remove(index) {
    this.commit(this.points.filter((_, i) => i !== index));
  }

  setPalette(palette, name) {
    this.palette = palette;
    this.paletteName = name;
    this.changed();
  }

  /** Points read from a hints file (one step of undo); a bad file is one message, nothing else
   * changes. */
  async loadHints(file) {
    try {
      if (file.size > MAX_HINTS_BYTES) {
        throw new Error(`${file.name}: ${file.size.toLocaleString("en")} bytes, over the ` +
          `${MAX_HINTS_BYTES.toLocaleString("en")}-byte limit of a hints file`);
      }
      const points = parseHints(await file.text(), this.photo.width, this.photo.height, file.name);
      this.message("");
      this.commit(points);
    } catch (error) {
      this.message(String(error.message || error));
    }
  }

  message(text) {
    this.editor.querySelector(".hints-message").textContent = text;
  }

  changed() {
    this.onEdit();
    this.closeSuggestions();
    this.render();
    this.requestRecolor();
  }

  // ---- the worker ----------------------------------------------------------------------------

  requestRecolor() {
    this.seq += 1;
    this.started.set(this.seq, performance.now());
    this.item.dataset.ready = "no";
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    this.sendRecolor();
  }

  sendRecolor() {
    this.inFlight = true;
    this.pending = false;
    this.send({
      type: "recolor", id: this.photo.id, file: this.photo.file, seq: this.seq,
      points: this.points, palette: this.palette,
    });
  }

  recolored({ seq, bitmap }) {
    this.inFlight = false;
    const context = this.canvas.getContext("2d");
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    const started = this.started.get(seq);
    if (started !== undefined) {
      this.item.dataset.recolorSeconds = ((performance.now() - started) / 1000).toFixed(3);
    }
    if (this.pending) this.sendRecolor();
  }

  encoded({ seq, png }) {
    this.started.delete(seq);
    if (seq !== this.seq) return; // a newer change is on its way
    this.onPng(png);
    this.item.dataset.ready = "yes";
  }

  failed(message, kind) {
    if (kind === "recolor") {
      this.inFlight = false;
      if (this.pending) this.sendRecolor();
    } else if (kind === "suggest") {
      this.popup.querySelector(".swatches").textContent = "(no suggestions)";
    }
    this.message(kind === "palette" ? message : `${this.photo.name}: ${message}`);
  }

  requestPalette(file) {
    this.paletteSeq = (this.paletteSeq || 0) + 1;
    this.send({ type: "palette", id: this.photo.id, seq: this.paletteSeq, file });
  }

  paletteReady({ seq, palette, name }) {
    if (seq === this.paletteSeq) this.setPalette(palette, name);
  }

  // ---- suggestions ---------------------------------------------------------------------------

  openSuggestions(x, y, index) {
    this.choice = { x, y, index };
    this.suggestStarted = performance.now();
    const others = index === null ? this.points : this.points.filter((_, i) => i !== index);
    const where = index === null ? `New point at ${x}, ${y}:` : `Point ${index + 1} at ${x}, ${y}:`;
    this.popup.querySelector(".where").textContent = where;
    this.popup.querySelector(".swatches").textContent = "…";
    this.popup.querySelector(".picker").value = this.colorAt(x, y);
    this.popup.hidden = false;
    this.send({
      type: "suggest", id: this.photo.id, file: this.photo.file, seq: this.seq,
      x, y, points: others, palette: this.palette,
    });
  }

  suggested({ x, y, suggestions }) {
    if (!this.choice || this.choice.x !== x || this.choice.y !== y) return;
    const swatches = this.popup.querySelector(".swatches");
    swatches.textContent = "";
    for (const { color, probability } of suggestions) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "suggestion";
      button.dataset.color = color;
      button.style.background = color;
      const share = `${Math.round(probability * 100)}%`;
      button.title = `${color} (${share})`;
      button.setAttribute("aria-label", `${color}, ${share} likely`);
      button.addEventListener("click", () => this.choose(color));
      swatches.append(button);
    }
    swatches.querySelector("button")?.focus();
    this.item.dataset.suggestSeconds = ((performance.now() - this.suggestStarted) / 1000).toFixed(3);
  }

  choose(color) {
    if (!this.choice) return;
    const { x, y, index } = this.choice;
    const points = this.points.slice();
    if (index === null) points.push({ x, y, color, size: null });
    else points[index] = { ...points[index], color };
    this.commit(points);
  }

  closeSuggestions() {
    this.choice = null;
    this.popup.hidden = true;
  }

  // ---- the photo -----------------------------------------------------------------------------

  photoPixel(event) {
    const rect = this.frame.getBoundingClientRect();
    const clamp = (v, size) => Math.min(Math.max(Math.floor(v), 0), size - 1);
    return {
      x: clamp(((event.clientX - rect.left) / rect.width) * this.photo.width, this.photo.width),
      y: clamp(((event.clientY - rect.top) / rect.height) * this.photo.height, this.photo.height),
    };
  }

  colorAt(x, y) {
    try {
      const [r, g, b] = this.canvas.getContext("2d").getImageData(x, y, 1, 1).data;
      return "#" + [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
    } catch (error) {
      return "#808080";
    }
  }

  save() {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([hintsDocument(this.points)], { type: "application/json" }));
    link.download = sidecarName(this.photo.name);
    link.click();
  }

  shortcut(event) {
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === "z") {
      event.preventDefault();
      if (event.shiftKey) this.redo();
      else this.undo();
    } else if ((event.ctrlKey || event.metaKey) && key === "y") {
      event.preventDefault();
      this.redo();
    } else if (key === "escape") {
      this.closeSuggestions();
    }
  }

  render() {
    const $ = (selector) => this.editor.querySelector(selector);
    $(".undo").disabled = !this.undoStack.length;
    $(".redo").disabled = !this.redoStack.length;
    $(".clear").disabled = !this.points.length;
    $(".save").disabled = !this.points.length;
    $(".palette-name").textContent = this.palette ? `Palette of ${this.paletteName}` : "";
    $(".palette-remove").hidden = !this.palette;
    $(".palette-all").hidden = !this.palette;
    this.marks.textContent = "";
    this.list.textContent = "";
    this.points.forEach((point, index) => {
      this.marks.append(this.mark(point, index));
      const entry = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "point-item";
      button.innerHTML = `<span class="swatch"></span> ${point.x}, ${point.y} <code></code>`;
      button.querySelector(".swatch").style.background = point.color;
      button.querySelector("code").textContent = point.color;
      button.setAttribute("aria-label", `Point ${index + 1} at ${point.x}, ${point.y}, ${point.color}: Enter to change its color, Delete to remove it`);
      button.addEventListener("click", () => this.openSuggestions(point.x, point.y, index));
      button.addEventListener("keydown", (event) => {
        if (event.key === "Delete" || event.key === "Backspace") {
          event.preventDefault();
          this.remove(index);
        }
      });
      entry.append(button);
      this.list.append(entry);
    });
  }

  // A point on the photo: drag to move, click to change its color, Delete / right-click /
  // long-press to remove.
  mark(point, index) {
    const mark = document.createElement("button");
    mark.type = "button";
    mark.className = "mark";
    mark.style.left = `${((point.x + 0.5) / this.photo.width) * 100}%`;
    mark.style.top = `${((point.y + 0.5) / this.photo.height) * 100}%`;
    mark.style.background = point.color;
    mark.setAttribute("aria-label", `Point ${index + 1}, ${point.color}`);
    let drag = null;
    let pressTimer = null;
    let gone = false; // a long-press may also fire contextmenu: one removal
    const removeOnce = () => {
      if (!gone) this.remove(index);
      gone = true;
    };
    mark.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      try {
        mark.setPointerCapture(event.pointerId);
      } catch (error) { /* a pointer the browser no longer tracks: no capture, no harm */ }
      drag = { x0: event.clientX, y0: event.clientY, moved: false };
      if (event.pointerType === "touch") {
        pressTimer = setTimeout(() => { drag = null; removeOnce(); }, LONG_PRESS_MS);
      }
    });
    mark.addEventListener("pointermove", (event) => {
      if (!drag) return;
      if (Math.hypot(event.clientX - drag.x0, event.clientY - drag.y0) > DRAG_THRESHOLD_PX) {
        drag.moved = true;
        clearTimeout(pressTimer);
      }
      if (drag.moved) {
        const { x, y } = this.photoPixel(event);
        mark.style.left = `${((x + 0.5) / this.photo.width) * 100}%`;
        mark.style.top = `${((y + 0.5) / this.photo.height) * 100}%`;
      }
    });
    mark.addEventListener("pointerup", (event) => {
      clearTimeout(pressTimer);
      if (!drag) return;
      const moved = drag.moved;
      drag = null;
      if (moved) {
        const { x, y } = this.photoPixel(event);
        const points = this.points.slice();
        points[index] = { ...points[index], x, y };
        this.commit(points);
      } else {
        this.openSuggestions(point.x, point.y, index);
      }
    });
    mark.addEventListener("pointercancel", () => { clearTimeout(pressTimer); drag = null; this.render(); });
    mark.addEventListener("contextmenu", (event) => {
      event.preventDefault();
      removeOnce();
    });
    mark.addEventListener("click", (event) => {
      if (event.detail === 0) this.openSuggestions(point.x, point.y, index); // Enter or Space
    });
    mark.addEventListener("keydown", (event) => {
      if (event.key === "Delete" || event.key === "Backspace") {
        event.preventDefault();
        removeOnce();
      }
    });
    return mark;
  }
}
