/**
 * The labelling page's drawing tools for structured requests (see
 * `structuredRequestSchema`): select words of the text (spans), drag a box on
 * the image (boxes), click points (keypoints), paint pixels (masks, {@link BRUSH_SCRIPT}), each with the label picked above
 * it (a button or its number key). The marks list below removes a mark (× or
 * Backspace for the last one); Enter or Submit posts `{id, label}` with the
 * structured label, and a 400 (e.g. a span overlapping another) is shown, the
 * marks kept. A request's `proposal` starts as the marks: accept or correct it.
 *
 * Plain browser JS in a string, joined to the page's script (one inline script
 * whose hash is in the CSP); it uses the page's `$`, `el`, `item`, `api`, `poll`.
 * Coordinates are whole pixels of the image as sent (not of its drawing on screen).
 */
import { BRUSH_SCRIPT } from './labelling-brush-script.js';

export const DRAW_STYLE = `  #input .stage { position: relative; display: inline-block; line-height: 0; }
  #input .stage img { border: 0; display: block; }
  .stage svg { position: absolute; left: 0; top: 0; width: 100%; height: 100%; cursor: crosshair; touch-action: none; }
  .stage canvas { position: absolute; left: 0; top: 0; width: 100%; height: 100%; image-rendering: pixelated; cursor: crosshair; touch-action: none; }
  .stage svg rect, .stage svg circle { vector-effect: non-scaling-stroke; stroke-width: 2; }
  #span-text { cursor: text; }
  #span-text mark { border-radius: 3px; color: inherit; }
  #tools button { font-size: 16px; margin: 4px; padding: 6px 12px; border-radius: 6px; border: 2px solid #888; background: #fff; cursor: pointer; }
  #tools button[aria-pressed="true"] { background: #1d2330; color: #fff; }
  #tools button[aria-pressed="true"] kbd { color: #1d2330; }
  #marks { padding-left: 20px; font-family: monospace; }
  #marks button { margin-left: 8px; border: 0; background: none; color: #b00; cursor: pointer; }
  #draw-error { color: #b00; }
`;

export const DRAW_SCRIPT = `const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#00aaaa', '#f032e6', '#9a6324'];
const HOW = {
  spans: 'Pick a label, then select its words in the text.',
  boxes: 'Pick a label, then drag a box around the object.',
  keypoints: 'Pick a label, then click its point on the image.',
  masks: 'Pick a label, then paint its pixels (Shift erases, [ and ] change the brush, Backspace undoes a stroke).',
};
const KEYS = { spans: ['start', 'end', 'label'], boxes: ['x', 'y', 'w', 'h', 'label'], keypoints: ['x', 'y', 'label'], masks: [] };
let draw = null;
function svgEl(tag, attrs) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
  return e;
}
function colour(label) { return PALETTE[Math.max(0, draw.labels.indexOf(label)) % PALETTE.length]; }
function drawError(text) { $('draw-error').textContent = text; }
function showStructured(req, view) {
  const s = req.structured;
  const proposal = s.proposal && s.proposal[s.kind];
  // The proposal's own keys only (a predicted span also carries its text).
  const marks = (proposal || []).map((m) => Object.fromEntries(KEYS[s.kind].map((k) => [k, m[k]])));
  draw = { kind: s.kind, labels: s.labels, current: s.labels[0], marks, size: null, drag: null };
  drawError('');
  $('guess').textContent = (proposal ? 'Model proposal: ' + proposal.length + ' ' + s.kind + ' (Enter accepts it; correct it first if wrong). ' : '') + HOW[s.kind];
  const box = $('input');
  box.textContent = '';
  if (s.kind === 'spans') {
    const p = el('p', { id: 'span-text', className: 'text' });
    p.onmouseup = pickSpan;
    box.append(p);
  } else {
    const stage = el('div', { className: 'stage' });
    const img = el('img', { id: 'input-image', alt: 'image to label', src: 'data:' + view.mediaType + ';base64,' + req.input.image });
    const svg = s.kind === 'masks' ? brushLayer() : svgEl('svg', { id: 'overlay', preserveAspectRatio: 'none' });
    img.onload = () => {
      const k = Math.floor(256 / Math.max(img.naturalWidth, img.naturalHeight));
      if (k >= 2) { img.className = 'pixels'; img.width = img.naturalWidth * k; } else img.className = 'photo';
      draw.size = [img.naturalWidth, img.naturalHeight];
      // A proposal in fractions of the image is drawn, and sent back, in pixels.
      if (s.proposal && s.proposal.units === 'relative') {
        for (const m of draw.marks) for (const k of ['x', 'w', 'y', 'h']) if (k in m) m[k] = Math.round(m[k] * draw.size[k === 'x' || k === 'w' ? 0 : 1]);
      }
      if (s.kind === 'masks') brushReady(s.proposal);
      else svg.setAttribute('viewBox', '0 0 ' + img.naturalWidth + ' ' + img.naturalHeight);
      box.append(caption(img.naturalWidth + ' × ' + img.naturalHeight + ' px'));
      render();
    };
    if (s.kind === 'boxes') { svg.onpointerdown = boxStart; svg.onpointermove = boxMove; svg.onpointerup = boxEnd; }
    else if (s.kind === 'keypoints') svg.onclick = (e) => { const [x, y] = imagePoint(e); draw.marks.push({ x, y, label: draw.current }); render(); };
    stage.append(img, svg);
    box.append(stage);
  }
  const tools = $('tools');
  tools.textContent = '';
  s.labels.forEach((label, i) => {
    const b = el('button', { type: 'button' });
    b.dataset.label = label;
    b.style.borderColor = PALETTE[i % PALETTE.length];
    b.append(label + ' ');
    if (i < 10) b.append(el('kbd', { textContent: String((i + 1) % 10) }));
    b.onclick = () => pickLabel(label);
    tools.append(b);
  });
  render();
}
function pickLabel(label) { draw.current = label; render(); }
/** Where a pointer event is on the image, in whole pixels of the image, inside it. */
function imagePoint(e) {
  const r = $('overlay').getBoundingClientRect();
  const [w, h] = draw.size;
  const at = (v, lo, span, n) => Math.min(n, Math.max(0, Math.round(((v - lo) * n) / span)));
  return [at(e.clientX, r.left, r.width, w), at(e.clientY, r.top, r.height, h)];
}
function boxStart(e) {
  if (!draw.size) return;
  e.currentTarget.setPointerCapture(e.pointerId);
  draw.drag = { from: imagePoint(e), to: imagePoint(e) };
}
function boxMove(e) { if (draw.drag) { draw.drag.to = imagePoint(e); render(); } }
function boxEnd(e) {
  if (!draw.drag) return;
  const [[x0, y0], [x1, y1]] = [draw.drag.from, imagePoint(e)];
  draw.drag = null;
  // A click without a drag draws nothing (a box needs a width and a height).
  if (x0 !== x1 && y0 !== y1) draw.marks.push({ x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0), label: draw.current });
  render();
}
/** Characters of the text before (node, offset), whatever marks split the text into. */
function textOffset(root, node, offset) {
  const r = document.createRange();
  r.setStart(root, 0);
  r.setEnd(node, offset);
  return r.toString().length;
}
function pickSpan() {
  const sel = getSelection();
  const root = $('span-text');
  if (!sel || sel.isCollapsed || !root.contains(sel.anchorNode) || !root.contains(sel.focusNode)) return;
  let a = textOffset(root, sel.anchorNode, sel.anchorOffset);
  let b = textOffset(root, sel.focusNode, sel.focusOffset);
  if (a > b) [a, b] = [b, a];
  const text = item.input.text;
  while (a < b && /\\s/.test(text[a])) a++;
  while (b > a && /\\s/.test(text[b - 1])) b--;
  sel.removeAllRanges();
  if (a === b) return;
  const clash = draw.marks.find((m) => a < m.end && m.start < b);
  if (clash) return drawError('"' + text.slice(a, b) + '" overlaps the ' + clash.label + ' span "' + text.slice(clash.start, clash.end) + '": remove that one first.');
  drawError('');
  draw.marks.push({ start: a, end: b, label: draw.current });
  render();
}
function describeMark(m) {
  if (draw.kind === 'spans') return m.label + ' "' + item.input.text.slice(m.start, m.end) + '" [' + m.start + ', ' + m.end + ')';
  if (draw.kind === 'boxes') return m.label + ' x ' + m.x + ' y ' + m.y + ' w ' + m.w + ' h ' + m.h;
  return m.label + ' (' + m.x + ', ' + m.y + ')';
}
function render() {
  for (const b of $('tools').children) b.setAttribute('aria-pressed', String(b.dataset.label === draw.current));
  if (draw.kind === 'masks') return renderMasks();
  if (draw.kind === 'spans') {
    const root = $('span-text');
    const text = item.input.text;
    root.textContent = '';
    let at = 0;
    for (const m of [...draw.marks].sort((p, q) => p.start - q.start)) {
      root.append(text.slice(at, m.start));
      const mk = el('mark', { title: m.label, textContent: text.slice(m.start, m.end) });
      mk.dataset.label = m.label;
      mk.style.background = colour(m.label) + '55';
      root.append(mk);
      at = m.end;
    }
    root.append(text.slice(at));
  } else if ($('overlay') && draw.size) {
    const svg = $('overlay');
    svg.textContent = '';
    const r = Math.max(draw.size[0], draw.size[1]) / 50;
    const boxes = draw.marks.slice();
    if (draw.drag) {
      const [[x0, y0], [x1, y1]] = [draw.drag.from, draw.drag.to];
      boxes.push({ x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0), label: draw.current });
    }
    for (const m of boxes) {
      const shape = draw.kind === 'boxes' ? svgEl('rect', { x: m.x, y: m.y, width: m.w, height: m.h, fill: 'none', stroke: colour(m.label) }) : svgEl('circle', { cx: m.x, cy: m.y, r, fill: colour(m.label), stroke: '#fff' });
      shape.dataset.label = m.label;
      svg.append(shape);
    }
  }
  const list = $('marks');
  list.textContent = '';
  draw.marks.forEach((m, i) => {
    const li = el('li', { textContent: describeMark(m) });
    const x = el('button', { type: 'button', textContent: '×', title: 'remove' });
    x.onclick = () => { draw.marks.splice(i, 1); render(); };
    li.append(x);
    list.append(li);
  });
}
async function submitDraw() {
  if (!item || !draw || draw.sending) return;
  draw.sending = true;
  const marks = draw.kind === 'spans' ? [...draw.marks].sort((p, q) => p.start - q.start) : draw.marks;
  const label = draw.kind === 'masks' ? maskLabel() : { [draw.kind]: marks };
  if (draw.kind === 'boxes' || draw.kind === 'keypoints') label.units = 'pixels';
  const r = await api('/api/label', { id: item.id, label });
  if (r.ok) { item = null; draw = null; return void poll(); }
  draw.sending = false;
  const body = await r.json().catch(() => ({}));
  drawError(body.error || 'not accepted (' + r.status + ')');
}
/** A key of a structured request: a label's number, Enter submits, Backspace removes the last mark. */
function drawKey(e) {
  // Not also a click of the focused button.
  if (e.key === 'Enter' || e.key === 'Backspace') e.preventDefault();
  if (e.key === 'Enter') return void submitDraw();
  if (e.key === 'Backspace') { if (draw.kind === 'masks') undoStroke(); else draw.marks.pop(); return render(); }
  if (draw.kind === 'masks' && (e.key === '[' || e.key === ']')) return brushSize(e.key === ']' ? 1 : -1);
  if (!/^[0-9]$/.test(e.key)) return;
  const i = e.key === '0' ? 9 : Number(e.key) - 1;
  if (i < draw.labels.length) pickLabel(draw.labels[i]);
}
$('submit').onclick = () => submitDraw();
${BRUSH_SCRIPT}`;
