// Growable per-metric series fed by incremental messages from Python.
// Python sends {type:"points", reset, metrics:[{name, start, n}]} with two Float64 buffers per
// metric (steps, values). A view applies a chunk only when `start` equals what it already holds;
// otherwise it asks for a snapshot, so late-rendered views and dropped messages heal themselves.

export class Series {
  constructor(capacity = 1024) {
    this.steps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.x = new Float64Array(capacity);
    this.length = 0;
    // x is the step while steps strictly increase (the usual step-logged metric); once they
    // do not (e.g. every point logged at step 0) x becomes the point's index.
    this.byStep = true;
  }

  _grow(needed) {
    if (needed <= this.steps.length) return;
    let cap = this.steps.length;
    while (cap < needed) cap *= 2;
    for (const key of ["steps", "values", "x"]) {
      const bigger = new Float64Array(cap);
      bigger.set(this[key].subarray(0, this.length));
      this[key] = bigger;
    }
  }

  append(steps, values) {
    const n = Math.min(steps.length, values.length);
    this._grow(this.length + n);
    for (let i = 0; i < n; i++) {
      const k = this.length + i;
      this.steps[k] = steps[i];
      this.values[k] = values[i];
      if (this.byStep && k > 0 && !(steps[i] > this.steps[k - 1])) {
        this.byStep = false;
        for (let j = 0; j < k; j++) this.x[j] = j;
      }
      this.x[k] = this.byStep ? steps[i] : k;
    }
    this.length += n;
  }

  clear() {
    this.length = 0;
    this.byStep = true;
  }

  /** The arrays uPlot draws: [x, y] as views (no copy). */
  data() {
    return [this.x.subarray(0, this.length), this.values.subarray(0, this.length)];
  }
}

export function toFloat64(buffer) {
  // anywidget hands buffers over as DataView (or ArrayBuffer); copy into an aligned Float64Array.
  if (buffer instanceof Float64Array) return buffer;
  const bytes = buffer instanceof ArrayBuffer
    ? new Uint8Array(buffer)
    : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const aligned = new Uint8Array(bytes.byteLength);
  aligned.set(bytes);
  return new Float64Array(aligned.buffer, 0, Math.floor(bytes.byteLength / 8));
}

export class SeriesSet {
  constructor() {
    this.series = new Map();
  }

  get(name) {
    if (!this.series.has(name)) this.series.set(name, new Series());
    return this.series.get(name);
  }

  names() {
    return [...this.series.keys()];
  }

  /**
   * Apply one "points" message. Returns {changed: [names], needSnapshot: bool}.
   */
  apply(msg, buffers) {
    const changed = [];
    let needSnapshot = false;
    if (msg.reset) this.series.clear();
    (msg.metrics || []).forEach((m, i) => {
      const s = this.get(m.name);
      if (!msg.reset && m.start !== s.length) {
        if (m.start + m.n > s.length) needSnapshot = true; // a gap: we missed a chunk
        return; // or an old chunk we already hold
      }
      s.append(toFloat64(buffers[2 * i]), toFloat64(buffers[2 * i + 1]));
      changed.push(m.name);
    });
    return { changed, needSnapshot };
  }
}
