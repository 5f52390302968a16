import { createHash } from 'node:crypto';
import { DRAW_SCRIPT, DRAW_STYLE } from './labelling-draw-script.js';

/** The page's style sheet (inline: its hash is in the CSP). */
const STYLE = `  body { font: 16px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; justify-content: space-between; }
  main { max-width: 720px; margin: 24px auto; background: #fff; border-radius: 8px; padding: 24px; box-shadow: 0 1px 3px #0002; }
  #input img { border: 1px solid #ccc; display: block; }
  #input img.pixels { image-rendering: pixelated; }
  #input img.photo { max-width: 100%; max-height: 360px; }
  #input img.spectrogram { width: 100%; max-width: 672px; margin-top: 8px; border: 0; }
  #input audio { width: 100%; max-width: 480px; }
  #input p.text { font-size: 20px; white-space: pre-wrap; }
  #input .caption { color: #555; font-size: 13px; margin: 4px 0; }
  table { border-collapse: collapse; } td { border: 1px solid #ddd; padding: 2px 8px; font-family: monospace; }
  #guess { color: #555; margin: 12px 0; }
  #classes button { font-size: 18px; margin: 4px; padding: 8px 16px; border-radius: 6px; border: 1px solid #2a6; background: #e9f7ef; cursor: pointer; }
  #skip { margin-top: 12px; padding: 6px 12px; }
  kbd { background: #eee; border-radius: 3px; padding: 0 4px; font-size: 13px; }
  #empty { color: #777; }
  #login { max-width: 720px; margin: 24px auto; background: #fff; border-radius: 8px; padding: 24px; }
  #login-error { color: #b00; }
${DRAW_STYLE}`;

const SCRIPT = `const labeller = sessionStorage.labeller || (sessionStorage.labeller = Math.random().toString(36).slice(2));
let item = null;
let loggedIn = true;
const $ = (id) => document.getElementById(id);
function el(tag, props) { return Object.assign(document.createElement(tag), props || {}); }
function caption(text) { return el('div', { className: 'caption', textContent: text }); }
function showInput(input, view) {
  const box = $('input');
  box.textContent = '';
  if (view.kind === 'text') box.append(el('p', { className: 'text', textContent: input.text }));
  else if (view.kind === 'image') {
    const img = el('img', { id: 'input-image', alt: 'image to label', src: 'data:' + view.mediaType + ';base64,' + input.image });
    // A 32×32 image is unreadable at its size: scale small ones up by whole steps, pixels kept sharp.
    img.onload = () => {
      const k = Math.floor(256 / Math.max(img.naturalWidth, img.naturalHeight));
      if (k >= 2) { img.className = 'pixels'; img.width = img.naturalWidth * k; }
      else img.className = 'photo';
      box.append(caption(img.naturalWidth + ' × ' + img.naturalHeight + ' px'));
    };
    box.append(img);
  } else if (view.kind === 'audio') {
    box.append(el('audio', { id: 'input-audio', controls: true, preload: 'auto', src: 'data:' + view.mediaType + ';base64,' + input.audio }));
    box.append(el('img', { id: 'input-spectrogram', className: 'spectrogram', alt: 'spectrogram of the audio', src: view.spectrogram }));
  } else if (view.kind === 'feature-image') {
    box.append(el('img', { id: 'input-features', className: 'pixels', width: 192, alt: input.features.length + ' features drawn as ' + view.shape.join(' × '), src: view.src }));
    box.append(caption(input.features.length + ' features as ' + view.shape[0] + ' × ' + view.shape[1] + ' (dark = high)'));
  } else {
    const t = el('table');
    input.features.forEach((v, i) => { const r = t.insertRow(); r.insertCell().textContent = 'x' + i; r.insertCell().textContent = v.toFixed(4); });
    box.append(t);
  }
}
function show(next, view) {
  item = next;
  $('empty').hidden = !!item;
  $('item').hidden = !item;
  if (!item) return;
  $('meta').textContent = 'model ' + item.model + ' · version ' + item.version + ' · request ' + item.id;
  $('classes').hidden = !!item.structured;
  $('draw').hidden = !item.structured;
  if (item.structured) return showStructured(item, view);
  showInput(item.input, view);
  const conf = item.scores[item.predicted];
  $('guess').textContent = 'Model guess: ' + item.predicted + ' (' + Math.round(conf * 100) + '% confident)';
  const classes = $('classes');
  classes.textContent = '';
  Object.keys(item.scores).forEach((label, i) => {
    const b = document.createElement('button');
    b.dataset.label = label;
    b.innerHTML = '';
    b.append(label + ' ');
    // Keys 1–9 then 0 (the tenth class), as on the keyboard's top row; an eleventh class has no key.
    if (i < 10) { const k = document.createElement('kbd'); k.textContent = String((i + 1) % 10); b.append(k); }
    b.onclick = () => answer('label', label);
    classes.append(b);
  });
}
/** A call of the page's API; a 401 (no session, or it ended) shows the login form. */
async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status === 401) { loggedIn = false; $('login').hidden = false; $('main').hidden = true; }
  return r;
}
async function post(path, body) {
  return (await api(path, body)).ok;
}
async function login(token) {
  const r = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  loggedIn = r.ok;
  $('login').hidden = r.ok;
  $('main').hidden = !r.ok;
  $('login-error').textContent = r.ok ? '' : 'Wrong token: use the one streamtune label printed, or STREAMTUNE_LABEL_TOKEN.';
  if (r.ok) { poll(); stats(); }
}
async function answer(kind, label) {
  if (!item) return;
  const id = item.id;
  item = null;
  await post('/api/' + kind, kind === 'label' ? { id, label } : { id });
  await poll();
}
async function poll() {
  if (item || !loggedIn) return;
  const r = await api('/api/next?labeller=' + labeller);
  if (!r.ok) return;
  const next = await r.json();
  show(next.item, next.view);
}
async function stats() {
  if (!loggedIn) return;
  const r = await api('/api/stats');
  if (!r.ok) return;
  const s = await r.json();
  $('stats').textContent = 'labelled ' + s.labelled + ' · skipped ' + s.skipped + ' · waiting ' + s.pending + ' · model accuracy on labelled ' + (s.accuracy === null ? '–' : Math.round(s.accuracy * 100) + '%');
}
document.addEventListener('keydown', (e) => {
  if (!item) return;
  if (e.key === 's') return void answer('skip');
  if (item.structured) return drawKey(e);
  const labels = Object.keys(item.scores);
  if (!/^[0-9]$/.test(e.key)) return;
  const i = e.key === '0' ? 9 : Number(e.key) - 1;
  if (i < labels.length) answer('label', labels[i]);
});
$('skip').onclick = () => answer('skip');
$('login').onsubmit = (e) => { e.preventDefault(); login($('token').value); };
// The login URL carries the token in its fragment, which is never sent to a server
// nor in a Referer: it is posted once and removed from the address bar and history.
const fragment = new URLSearchParams(location.hash.slice(1)).get('token');
if (fragment) { history.replaceState(null, '', location.pathname); login(fragment); }
else { poll(); stats(); }
setInterval(poll, 500);
setInterval(stats, 500);
${DRAW_SCRIPT}`;

/**
 * The labelling page: plain HTML and JS, served as one string (no build step).
 * Shows the next request as a person reads it (the server's `view` says how):
 * text as text, an image as the image (small ones scaled up, pixels kept sharp),
 * audio as a player above its spectrogram, a feature vector with a declared
 * shape as a greyscale image, any other vector as a table; then the model's
 * guess and confidence. A class button or its number key (1–9, then 0 for the tenth class) labels it, `s` skips.
 * A structured request (spans, boxes, keypoints, masks) gets the drawing tools of
 * {@link DRAW_SCRIPT} instead of the class buttons.
 * Counts and the model's accuracy on labelled items refresh live. Without a
 * session it shows a login form; the login URL's `#token=` fragment logs in by itself.
 */
export const LABELLING_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>streamtune · labelling</title>
<style>${STYLE}</style>
</head>
<body>
<header><strong>streamtune labelling</strong><span id="stats">labelled 0 · accuracy –</span></header>
<form id="login" hidden>
  <p>Log in with the labelling page's token: open the login URL <code>streamtune label</code> printed, or type the token (<code>STREAMTUNE_LABEL_TOKEN</code>).</p>
  <input id="token" type="password" autocomplete="current-password" aria-label="login token" required>
  <button type="submit">Log in</button>
  <p id="login-error"></p>
</form>
<main id="main">
  <div id="empty">Waiting for uncertain predictions…</div>
  <div id="item" hidden>
    <div id="meta"></div>
    <div id="input"></div>
    <div id="guess"></div>
    <div id="classes"></div>
    <div id="draw" hidden>
      <div id="tools"></div>
      <ul id="marks"></ul>
      <p id="draw-error" role="alert"></p>
      <button id="submit">Submit <kbd>Enter</kbd></button>
    </div>
    <button id="skip">Skip <kbd>s</kbd></button>
  </div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/**
 * Headers of every answer of the labelling server. The CSP allows the page's own
 * inline style and script by their hashes and nothing else: no other script, no
 * framing (also X-Frame-Options), pictures from the server or inline `data:`,
 * calls to the server only.
 */
export const LABELLING_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "img-src 'self' data:",
    'media-src data:',
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
