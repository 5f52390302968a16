/**
 * The labelling page: plain HTML and JS, served as one string (no build step).
 * Shows the next request (text, image, audio player or features table) with the
 * model's guess and confidence; a class button or its number key labels it,
 * `s` skips. Counts and the model's accuracy on labelled items refresh live.
 */
export const LABELLING_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>streamtune · labelling</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; justify-content: space-between; }
  main { max-width: 720px; margin: 24px auto; background: #fff; border-radius: 8px; padding: 24px; box-shadow: 0 1px 3px #0002; }
  #input img { image-rendering: pixelated; width: 192px; border: 1px solid #ccc; }
  #input p { font-size: 20px; }
  table { border-collapse: collapse; } td { border: 1px solid #ddd; padding: 2px 8px; font-family: monospace; }
  #guess { color: #555; margin: 12px 0; }
  #classes button { font-size: 18px; margin: 4px; padding: 8px 16px; border-radius: 6px; border: 1px solid #2a6; background: #e9f7ef; cursor: pointer; }
  #skip { margin-top: 12px; padding: 6px 12px; }
  kbd { background: #eee; border-radius: 3px; padding: 0 4px; font-size: 13px; }
  #empty { color: #777; }
</style>
</head>
<body>
<header><strong>streamtune labelling</strong><span id="stats">labelled 0 · accuracy –</span></header>
<main>
  <div id="empty">Waiting for uncertain predictions…</div>
  <div id="item" hidden>
    <div id="meta"></div>
    <div id="input"></div>
    <div id="guess"></div>
    <div id="classes"></div>
    <button id="skip">Skip <kbd>s</kbd></button>
  </div>
</main>
<script>
const labeller = sessionStorage.labeller || (sessionStorage.labeller = Math.random().toString(36).slice(2));
let item = null;
const $ = (id) => document.getElementById(id);
function mediaType(b64, kind) {
  if (kind === 'audio') return 'audio/wav';
  return b64.startsWith('/9j/') ? 'image/jpeg' : 'image/png';
}
function showInput(input) {
  const box = $('input');
  box.textContent = '';
  if ('text' in input) { const p = document.createElement('p'); p.textContent = input.text; box.append(p); }
  else if ('image' in input) { const img = document.createElement('img'); img.alt = 'image to label'; img.src = 'data:' + mediaType(input.image, 'image') + ';base64,' + input.image; box.append(img); }
  else if ('audio' in input) { const a = document.createElement('audio'); a.controls = true; a.src = 'data:audio/wav;base64,' + input.audio; box.append(a); }
  else { const t = document.createElement('table'); input.features.forEach((v, i) => { const r = t.insertRow(); r.insertCell().textContent = 'x' + i; r.insertCell().textContent = v.toFixed(4); }); box.append(t); }
}
function show(next) {
  item = next;
  $('empty').hidden = !!item;
  $('item').hidden = !item;
  if (!item) return;
  $('meta').textContent = 'model ' + item.model + ' · version ' + item.version + ' · request ' + item.id;
  showInput(item.input);
  const conf = item.scores[item.predicted];
  $('guess').textContent = 'Model guess: ' + item.predicted + ' (' + Math.round(conf * 100) + '% confident)';
  const classes = $('classes');
  classes.textContent = '';
  Object.keys(item.scores).forEach((label, i) => {
    const b = document.createElement('button');
    b.dataset.label = label;
    b.innerHTML = '';
    b.append(label + ' ');
    const k = document.createElement('kbd'); k.textContent = String(i + 1); b.append(k);
    b.onclick = () => answer('label', label);
    classes.append(b);
  });
}
async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return r.ok;
}
async function answer(kind, label) {
  if (!item) return;
  const id = item.id;
  item = null;
  await post('/api/' + kind, kind === 'label' ? { id, label } : { id });
  await poll();
}
async function poll() {
  if (item) return;
  const r = await fetch('/api/next?labeller=' + labeller);
  show((await r.json()).item);
}
async function stats() {
  const s = await (await fetch('/api/stats')).json();
  $('stats').textContent = 'labelled ' + s.labelled + ' · skipped ' + s.skipped + ' · waiting ' + s.pending + ' · model accuracy on labelled ' + (s.accuracy === null ? '–' : Math.round(s.accuracy * 100) + '%');
}
document.addEventListener('keydown', (e) => {
  if (!item) return;
  if (e.key === 's') return void answer('skip');
  const labels = Object.keys(item.scores);
  const i = Number(e.key) - 1;
  if (i >= 0 && i < labels.length) answer('label', labels[i]);
});
$('skip').onclick = () => answer('skip');
setInterval(poll, 500);
setInterval(stats, 500);
poll(); stats();
</script>
</body>
</html>
`;
