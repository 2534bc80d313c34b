// handdigits draw-a-digit page: plain JavaScript, no dependencies, talks to the JSON API.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const canvas = $("canvas");
  const ctx = canvas.getContext("2d");
  const photo = $("photo");
  const answer = $("answer");
  const statusLine = $("status");
  const bars = $("bars");
  const seen = $("seen");
  const mnist = $("mnist");
  const timing = $("timing");
  const numbers = $("numbers");

  const strokes = []; // each stroke: [[x, y], ...] in canvas pixels
  let current = null; // the stroke being drawn
  let activePointer = null;
  let maxUploadBytes = Infinity;
  let generation = 0; // bumped on clear / upload: older answers are dropped
  let dirty = false; // the drawing changed since the last request
  let inFlight = false;
  let timer = null;
  let sent = 0; // requests sent ...
  let latest = 0; // ... and the newest one whose answer is shown

  // ------------------------------------------------------------------ drawing

  function lineWidth() {
    return canvas.height / 14;
  }

  function paint() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (const stroke of strokes) drawStroke(stroke);
  }

  function drawStroke(points) {
    ctx.strokeStyle = ctx.fillStyle = "#000";
    ctx.lineWidth = lineWidth();
    ctx.lineCap = ctx.lineJoin = "round";
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0], points[0][1], lineWidth() / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(points[0][0], points[0][1]);
    for (const [x, y] of points.slice(1)) ctx.lineTo(x, y);
    ctx.stroke();
  }

  function point(event) {
    const rect = canvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) * canvas.width) / rect.width,
      ((event.clientY - rect.top) * canvas.height) / rect.height,
    ];
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (activePointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    activePointer = event.pointerId;
    try {
      canvas.setPointerCapture(event.pointerId); // keep the stroke when the pointer leaves the canvas
    } catch (error) {
      // not an active pointer (e.g. a synthetic event): draw without capture
    }
    if (!photo.hidden) startDrawing();
    current = [point(event)];
    strokes.push(current);
    drawStroke(current);
    changed();
  });

  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== activePointer || current === null) return;
    const coalesced = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    const added = coalesced.length ? coalesced : [event];
    for (const e of added) current.push(point(e));
    drawStroke(current.slice(Math.max(0, current.length - added.length - 1)));
    changed();
  });

  function endStroke(event) {
    if (event.pointerId !== activePointer) return;
    activePointer = null;
    current = null;
    changed(0);
  }
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);

  function startDrawing() {
    photo.hidden = true;
    photo.removeAttribute("src");
    strokes.length = 0;
    generation += 1;
    paint();
  }

  function clearAll() {
    startDrawing();
    current = null;
    activePointer = null;
    dirty = false;
    show({ state: "idle" });
    busy();
  }

  function undo() {
    if (!photo.hidden) return clearAll();
    strokes.pop();
    paint();
    if (strokes.length === 0) return clearAll();
    changed(0);
  }

  $("clear").addEventListener("click", clearAll);
  $("undo").addEventListener("click", undo);
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "z") {
      event.preventDefault();
      undo();
    } else if (event.key === "Escape") {
      clearAll();
    }
  });

  // ------------------------------------------------------------------ asking the server

  // state for scripts and tests: busy (an answer is still to come), strokes (finished), shown (answers shown)
  function busy() {
    const body = document.body.dataset;
    body.busy = inFlight || dirty || timer !== null || activePointer !== null ? "1" : "0";
    body.strokes = String(strokes.length - (current === null ? 0 : 1));
  }

  // the drawing changed: ask again soon (live while drawing, at once when a stroke ends)
  function changed(delay = 150) {
    dirty = true;
    if (delay === 0) {
      clearTimeout(timer);
      timer = null;
      flush();
    } else if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        flush();
      }, delay);
    }
    busy();
  }

  async function flush() {
    if (inFlight || !dirty) return busy();
    dirty = false;
    if (strokes.length === 0) {
      show({ state: "idle" });
      return busy();
    }
    inFlight = true; // from here: a second flush must wait (answers could otherwise arrive out of order)
    busy();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    await send(blob, "image/png");
    if (dirty && timer === null) flush();
  }

  async function send(body, type) {
    const gen = generation;
    const id = ++sent;
    const endpoint = numbers.checked ? "api/read" : "api/predict";
    inFlight = true;
    busy();
    const started = performance.now();
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": type || "application/octet-stream" },
        body,
      });
      const data = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
      if (gen !== generation || id < latest) return; // cleared or replaced meanwhile, or a newer answer shown
      latest = id;
      const roundTrip = performance.now() - started;
      if (!response.ok) show({ state: "error", message: data.detail || `HTTP ${response.status}` });
      else if (numbers.checked) showReading(data, roundTrip);
      else showPrediction(data, roundTrip);
    } catch (error) {
      if (gen === generation) show({ state: "error", message: `cannot reach the server (${error.message})` });
    } finally {
      inFlight = false;
      busy();
    }
  }

  // ------------------------------------------------------------------ showing answers

  function show({ state, text, message = "", top = [], image = null, time = "" }) {
    const defaults = { idle: "?", blank: "\u2013", unsure: "not sure", error: "error" };
    answer.dataset.state = state;
    document.body.dataset.shown = String(Number(document.body.dataset.shown || 0) + 1);
    answer.textContent = text ?? defaults[state] ?? "?";
    statusLine.textContent =
      state === "idle" ? (numbers.checked ? "Write a number to start." : "Draw a digit to start.") : message;
    bars.replaceChildren(
      ...top.map(({ digit, probability }) => {
        const li = document.createElement("li");
        const pct = (100 * probability).toFixed(1);
        li.innerHTML =
          `<span class="digit">${digit}</span><span class="track"><span class="fill" style="width:${pct}%">` +
          `</span></span><span class="pct">${pct}%</span>`;
        return li;
      }),
    );
    seen.hidden = image === null;
    if (image === null) mnist.removeAttribute("src");
    else mnist.src = `data:image/png;base64,${image}`;
    timing.textContent = time;
  }

  function timeText(t, roundTrip) {
    return (
      `server ${t.total_ms.toFixed(1)} ms (decode ${t.decode_ms.toFixed(1)}, preprocess ` +
      `${t.preprocess_ms.toFixed(1)}, model ${t.predict_ms.toFixed(1)}) \u00b7 round trip ${roundTrip.toFixed(0)} ms`
    );
  }

  function showPrediction(p, roundTrip) {
    const time = timeText(p.timing, roundTrip);
    if (!p.found) {
      show({ state: "blank", message: "No digit found. " + (p.message || ""), time });
    } else if (!p.sure) {
      const maybe = p.top_k.slice(0, 2).map((c) => c.digit).join(" or ");
      show({ state: "unsure", message: `Not sure: maybe ${maybe}?`, top: p.top_k, image: p.image_png, time });
    } else {
      const pct = (100 * p.top_k[0].probability).toFixed(1);
      show({ state: "digit", text: String(p.digit), message: `It's a ${p.digit} (${pct}%).`,
        top: p.top_k, image: p.image_png, time });
    }
  }

  function showReading(r, roundTrip) {
    const time = timeText(r.timing, roundTrip);
    if (!r.found) {
      show({ state: "blank", message: "No digits found. " + (r.message || ""), time });
      return;
    }
    const confidence = r.result.confidence;
    const sure = typeof confidence === "number" ? ` (confidence ${(100 * confidence).toFixed(1)}%)` : "";
    show({ state: "digit", text: r.text, message: `Read: ${r.text}${sure}`, time });
  }

  // ------------------------------------------------------------------ photos: upload or drop

  async function shrink(file) {
    // a photo over the server's cap is re-encoded smaller here (the server refuses it otherwise)
    if (file.size <= maxUploadBytes || !window.createImageBitmap) return file;
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      const c = document.createElement("canvas");
      c.width = Math.round(bitmap.width * scale);
      c.height = Math.round(bitmap.height * scale);
      c.getContext("2d").drawImage(bitmap, 0, 0, c.width, c.height);
      return await new Promise((resolve) => c.toBlob(resolve, "image/jpeg", 0.9));
    } catch (error) {
      return file; // not an image the browser reads: let the server say why
    }
  }

  async function useFile(file) {
    if (!file) return;
    inFlight = true; // busy from now until the answer is shown
    startDrawing();
    dirty = false;
    photo.src = URL.createObjectURL(file);
    photo.hidden = false;
    show({ state: "idle" });
    statusLine.textContent = `Reading ${file.name}\u2026`;
    const body = await shrink(file);
    await send(body, body.type);
  }

  $("file").addEventListener("change", (event) => {
    useFile(event.target.files[0]);
    event.target.value = ""; // the same file can be chosen again
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    useFile(event.dataTransfer.files[0]);
  });

  // ------------------------------------------------------------------ numbers mode (when the server has it)

  numbers.addEventListener("change", () => {
    canvas.width = numbers.checked ? 560 : 280;
    canvas.classList.toggle("wide", numbers.checked);
    clearAll();
  });

  fetch("healthz")
    .then((r) => r.json())
    .then((health) => {
      maxUploadBytes = health.max_upload_bytes;
      $("numbers-toggle").hidden = !health.read;
      $("version").textContent = `handdigits ${health.version}`;
    })
    .catch(() => {});

  paint();
  show({ state: "idle" });
})();
