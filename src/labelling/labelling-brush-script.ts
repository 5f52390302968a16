/**
 * The labelling page's brush for mask requests: one class per pixel, painted
 * with the picked label by dragging (discs along the stroke, whole pixels of the
 * image as sent), Shift erases, `[` and `]` change the radius, Backspace undoes
 * a stroke. Sent as `{"masks": [{label, rle}]}`: one mask per painted label, as
 * run lengths over the image in row-major order starting with background (the
 * event schema's). A proposal's `rle` masks start painted (`png` ones are not read).
 *
 * Plain browser JS in a string, part of the page's one inline script (see
 * `DRAW_SCRIPT`, whose `draw`, `colour`, `$` and `el` it uses).
 */
export const BRUSH_SCRIPT = `function brushLayer() {
  const c = el('canvas', { id: 'overlay' });
  c.onpointerdown = (e) => {
    if (!draw.size) return;
    c.setPointerCapture(e.pointerId);
    draw.strokes.push(draw.paint.slice());
    draw.stroke = { at: pixelUnder(e), erase: e.shiftKey };
    paintDisc(draw.stroke.at);
    renderMasks();
  };
  c.onpointermove = (e) => {
    if (!draw.stroke) return;
    // Every pixel between two pointer events, so a fast stroke has no gaps.
    const [x0, y0] = draw.stroke.at;
    const [x1, y1] = pixelUnder(e);
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
    for (let i = 1; i <= n; i++) paintDisc([Math.round(x0 + ((x1 - x0) * i) / n), Math.round(y0 + ((y1 - y0) * i) / n)]);
    draw.stroke.at = [x1, y1];
    renderMasks();
  };
  c.onpointerup = () => { draw.stroke = null; };
  return c;
}
/** Sets up the pixels once the image's size is known; a proposal's run-length masks start painted. */
function brushReady(proposal) {
  const [w, h] = draw.size;
  const c = $('overlay');
  c.width = w;
  c.height = h;
  draw.paint = new Uint8Array(w * h);
  draw.strokes = [];
  draw.radius = Math.max(1, Math.round(Math.max(w, h) / 32));
  for (const m of (proposal && proposal.masks) || []) {
    if (!m.rle || !draw.labels.includes(m.label)) continue;
    let at = 0;
    m.rle.forEach((run, i) => { if (i % 2 === 1) draw.paint.fill(draw.labels.indexOf(m.label) + 1, at, at + run); at += run; });
  }
}
/** The image pixel under the pointer (inside the image). */
function pixelUnder(e) {
  const r = $('overlay').getBoundingClientRect();
  const [w, h] = draw.size;
  return [Math.min(w - 1, Math.max(0, Math.floor(((e.clientX - r.left) * w) / r.width))), Math.min(h - 1, Math.max(0, Math.floor(((e.clientY - r.top) * h) / r.height)))];
}
/** The pixels within the brush's radius of (cx, cy), as the picked label (or background when erasing). */
function paintDisc([cx, cy]) {
  const [w, h] = draw.size;
  const r = draw.radius;
  const v = draw.stroke.erase ? 0 : draw.labels.indexOf(draw.current) + 1;
  for (let y = Math.max(0, cy - r); y <= Math.min(h - 1, cy + r); y++) {
    for (let x = Math.max(0, cx - r); x <= Math.min(w - 1, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) draw.paint[y * w + x] = v;
  }
}
function undoStroke() { if (draw.strokes && draw.strokes.length > 0) draw.paint = draw.strokes.pop(); }
function brushSize(d) { draw.radius = Math.max(0, Math.min(64, draw.radius + d)); renderMasks(); }
function renderMasks() {
  const list = $('marks');
  list.textContent = '';
  if (!draw.paint) return;
  const c = $('overlay');
  const img = c.getContext('2d').createImageData(c.width, c.height);
  const rgb = draw.labels.map((l) => { const hex = colour(l); return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); });
  const counts = draw.labels.map(() => 0);
  draw.paint.forEach((v, i) => {
    if (v === 0) return;
    counts[v - 1]++;
    img.data.set([...rgb[v - 1], 140], i * 4);
  });
  c.getContext('2d').putImageData(img, 0, 0);
  list.append(el('li', { textContent: 'brush radius ' + draw.radius + ' px' }));
  draw.labels.forEach((l, i) => {
    if (counts[i] === 0) return;
    const li = el('li', { textContent: l + ' ' + counts[i] + ' px' });
    const x = el('button', { type: 'button', textContent: '×', title: 'clear' });
    x.onclick = () => { draw.strokes.push(draw.paint.slice()); draw.paint = draw.paint.map((v) => (v === i + 1 ? 0 : v)); renderMasks(); };
    li.append(x);
    list.append(li);
  });
}
/** The painted labels as run-length masks. */
function maskLabel() {
  const masks = [];
  draw.labels.forEach((label, i) => {
    const rle = [];
    let run = 0;
    let inside = false;
    for (const v of draw.paint) {
      if ((v === i + 1) === inside) run++;
      else { rle.push(run); run = 1; inside = !inside; }
    }
    rle.push(run);
    if (rle.length > 1) masks.push({ label, rle });
  });
  return { masks };
}
`;
