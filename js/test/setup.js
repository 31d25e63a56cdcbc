// jsdom has no matchMedia; uPlot reads the device pixel ratio through it when imported.
globalThis.matchMedia ??= () => ({ matches: false, addListener() {}, removeListener() {},
  addEventListener() {}, removeEventListener() {} });
