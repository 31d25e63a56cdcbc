// An in-memory model with anywidget's model interface (get/set/on/off/send/save_changes),
// recording what the view sends, so views can be rendered in jsdom.
export function makeModel(state) {
  const handlers = new Map();
  const sent = [];
  const emit = (event, ...args) => (handlers.get(event) || []).slice().forEach((f) => f(...args));
  return {
    sent,
    get: (k) => state[k],
    set: (k, v) => { state[k] = v; emit(`change:${k}`); },
    save_changes: () => {},
    on: (event, f) => handlers.set(event, [...(handlers.get(event) || []), f]),
    off: (event, f) => handlers.set(event, (handlers.get(event) || []).filter((g) => g !== f)),
    send: (msg) => sent.push(msg),
    receive: (msg, buffers) => emit("msg:custom", msg, buffers),
  };
}
