#!/usr/bin/env bash
# Provision the native TensorFlow backend for @tensorflow/tfjs-node without
# internet access beyond the package registries.
#
# Why this exists: tfjs-node's own install script downloads libtensorflow from
# a Google storage host, which is unreachable here, so package.json disables it
# (allowScripts) and `require('@tensorflow/tfjs-node')` fails for lack of
# lib/napi-v*/tfjs_binding.node.  PyPI's tensorflow-cpu wheel ships the same C
# API (libtensorflow_cc.so.2 + libtensorflow_framework.so.2 export every TF_* /
# TFE_* symbol the binding uses, no Python needed) plus the C headers, so we:
#   1. pip-download the wheel once into a cache outside the repo,
#   2. extract only the two shared libraries and the headers the binding
#      includes (~790 MB on disk, so never inside the repo),
#   3. point node_modules/@tensorflow/tfjs-node/deps/{lib,include} at the cache,
#   4. compile the binding with node-gyp (bundled with npm) straight into the
#      path @mapbox/node-pre-gyp's find() resolves at require() time,
#   5. prove it works: backend name, TF version, one epoch of a dense and of a
#      conv2d layers model.
# Everything is idempotent; a second run returns in about a second.
#
# Progress/diagnostics go to stderr; the last stdout line is
#   TFJS_NATIVE=ok <tensorflow version>     on success
#   TFJS_NATIVE=unavailable                 on failure (exit status != 0)
# so callers can fall back to the WASM backend.

set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/setup-tfjs-native.sh [--check | --force] [--verify] [-h|--help]

Builds the @tensorflow/tfjs-node native binding against TensorFlow's C library
taken from PyPI's tensorflow-cpu wheel (no Google-hosted downloads).

  (no option)  do nothing if require('@tensorflow/tfjs-node') already works,
               otherwise download/extract (cached) + build + verify
  --check      only report whether the native backend loads (exit 0/1)
  --force      rebuild the binding even if it already loads
  --verify     also run the training smoke test when it already works
  -h, --help   this message

Environment:
  TF_WHEEL_VERSION   tensorflow wheel version           (default 2.21.0)
  TF_WHEEL_PACKAGE   PyPI project providing the libs    (default tensorflow-cpu)
  TF_WHEEL_PYTHON    python tag used to pick the wheel  (default 3.11; the C
                     libraries inside do not depend on it)
  STREAMTUNE_CACHE   cache root (default $HOME/.cache/streamtune); libs live in
                     $STREAMTUNE_CACHE/<package>-<version>/
  NODE_GYP           path to node-gyp.js or a node-gyp executable (default:
                     the copy bundled with npm, else node-gyp on PATH)
  NODEDIR            Node.js headers prefix (default: detected; must contain
                     include/node/node_api.h -- node-gyp cannot download it
                     offline)

Last stdout line: "TFJS_NATIVE=ok <tf version>" or "TFJS_NATIVE=unavailable".
EOF
}

MODE=setup
FORCE=0
VERIFY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --check) MODE=check ;;
    --force) FORCE=1 ;;
    --verify) VERIFY=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup-tfjs-native: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$MODE" = check ] && [ "$FORCE" = 1 ]; then
  echo "setup-tfjs-native: --check and --force are mutually exclusive" >&2
  exit 2
fi

log() { printf '[setup-tfjs-native] %s\n' "$*" >&2; }
die() { printf '[setup-tfjs-native] ERROR: %s\n' "$*" >&2; exit 1; }

# Callers parse the last stdout line; make sure a failure still ends with one.
STATUS_PRINTED=0
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ "$STATUS_PRINTED" = 0 ]; then
    echo "TFJS_NATIVE=unavailable"
  fi
}
trap on_exit EXIT

SECONDS=0
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
# require() must resolve from the project root, exactly like the app does.
cd "$REPO_ROOT"

command -v node >/dev/null 2>&1 || die "node is not on PATH"

TF_WHEEL_VERSION="${TF_WHEEL_VERSION:-2.21.0}"
TF_WHEEL_PACKAGE="${TF_WHEEL_PACKAGE:-tensorflow-cpu}"
TF_WHEEL_PYTHON="${TF_WHEEL_PYTHON:-3.11}"
CACHE_ROOT="${STREAMTUNE_CACHE:-$HOME/.cache/streamtune}"
TF_DIR="$CACHE_ROOT/$TF_WHEEL_PACKAGE-$TF_WHEEL_VERSION"
WHEEL_DIR="$CACHE_ROOT/wheels"
MARKER="$TF_DIR/.extract-complete"
PKG_DIR="$REPO_ROOT/node_modules/@tensorflow/tfjs-node"

# Quiet TensorFlow's C++ INFO logs during our own probes unless the caller set
# a level (the one-line oneDNN notice is printed before absl's logging is set
# up and still shows on stderr).
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

# Prints the TensorFlow C library version on stdout if tfjs-node loads with the
# native 'tensorflow' backend; non-zero exit otherwise (reason on stderr).
probe() {
  node -e '
    const tf = require("@tensorflow/tfjs-node");
    if (tf.getBackend() !== "tensorflow") {
      console.error("backend is " + tf.getBackend() + ", not tensorflow");
      process.exit(1);
    }
    console.log(tf.backend().binding.TF_Version);
  '
}

finish_ok() {
  STATUS_PRINTED=1
  echo "TFJS_NATIVE=ok $1"
  exit 0
}

# ---------------------------------------------------------------- fast path --
if [ "$FORCE" = 0 ]; then
  probe_err_file="$(mktemp "${TMPDIR:-/tmp}/tfjs-native-probe.XXXXXX")"
  if tf_ver="$(probe 2>"$probe_err_file")"; then
    rm -f "$probe_err_file"
    if [ "$MODE" = check ]; then
      log "native backend loads (TensorFlow $tf_ver)"
      finish_ok "$tf_ver"
    fi
    log "@tensorflow/tfjs-node already loads natively (TensorFlow $tf_ver); nothing to do"
    [ "$VERIFY" = 1 ] || finish_ok "$tf_ver"
  else
    if [ "$MODE" = check ]; then
      log "native backend does not load:"
      grep -v '^\s*at ' "$probe_err_file" | head -n 5 >&2 || true
      rm -f "$probe_err_file"
      exit 1
    fi
    log "@tensorflow/tfjs-node does not load yet; provisioning it"
    rm -f "$probe_err_file"
    tf_ver=""
  fi
else
  tf_ver=""
fi

# ---------------------------------------------------- training smoke test --
# One epoch of a dense model and of a conv2d model on random data: proves the
# kernels and their gradients run natively (weights must actually change).
verify() {
  node - <<'EOF'
const t0 = performance.now();
const tf = require('@tensorflow/tfjs-node');
const loadMs = performance.now() - t0;
const err = (...a) => console.error('[setup-tfjs-native]', ...a);
const fail = (msg) => { err('VERIFY FAILED:', msg); process.exit(1); };

const backend = tf.getBackend();
if (backend !== 'tensorflow') fail(`backend is ${backend}, expected tensorflow`);
const tfVersion = tf.backend().binding.TF_Version;
err(`loaded in ${loadMs.toFixed(0)} ms; backend=${backend}; TensorFlow ${tfVersion};`,
    `tfjs-node ${tf.version['tfjs-node']}; tfjs-core ${tf.version['tfjs-core']}`);

async function trainOnce(name, model, x, y, loss) {
  model.compile({optimizer: tf.train.adam(0.01), loss});
  const before = model.getWeights().map((w) => w.dataSync().slice());
  const t = performance.now();
  const h = await model.fit(x, y, {epochs: 1, batchSize: 16, verbose: 0});
  const ms = performance.now() - t;
  const lossVal = h.history.loss[0];
  if (!Number.isFinite(lossVal)) fail(`${name}: loss is ${lossVal}`);
  const after = model.getWeights().map((w) => w.dataSync());
  const changed = before.some((b, i) => b.some((v, j) => v !== after[i][j]));
  if (!changed) fail(`${name}: weights did not change after fit (no gradients?)`);
  err(`${name}: fit 1 epoch (${x.shape[0]} samples) in ${ms.toFixed(1)} ms, loss=${lossVal.toFixed(4)}, weights updated`);
}

(async () => {
  // Dense regression: 8 -> 16 (relu) -> 1.
  const dense = tf.sequential({layers: [
    tf.layers.dense({inputShape: [8], units: 16, activation: 'relu'}),
    tf.layers.dense({units: 1}),
  ]});
  await trainOnce('dense', dense, tf.randomNormal([64, 8]), tf.randomNormal([64, 1]),
                  'meanSquaredError');

  // Small CNN classifier on 16x16x1 "images": conv2d -> maxPool -> dense(3).
  const conv = tf.sequential({layers: [
    tf.layers.conv2d({inputShape: [16, 16, 1], filters: 4, kernelSize: 3, activation: 'relu'}),
    tf.layers.maxPooling2d({poolSize: 2}),
    tf.layers.flatten(),
    tf.layers.dense({units: 3, activation: 'softmax'}),
  ]});
  const labels = tf.oneHot(tf.randomUniform([32], 0, 3, 'int32'), 3);
  await trainOnce('conv2d', conv, tf.randomNormal([32, 16, 16, 1]), labels,
                  'categoricalCrossentropy');
  console.log(tfVersion);
})().catch((e) => fail(e && e.stack || String(e)));
EOF
}

if [ -n "$tf_ver" ]; then
  # Already working and --verify was asked for.
  tf_ver="$(verify)" || die "native backend loads but the training smoke test failed"
  finish_ok "$tf_ver"
fi

# ------------------------------------------------------------ preconditions --
[ -f "$PKG_DIR/package.json" ] || die "$PKG_DIR is missing: run 'npm ci' first (it is an optionalDependency, so npm may have skipped it on this platform)"
[ "$(uname -s)" = Linux ] || die "only Linux is supported (PyPI wheels ship .so files); use the WASM backend"
ARCH="$(uname -m)"
case "$ARCH" in
  x86_64) ;;
  aarch64)
    # tensorflow-cpu has no aarch64 wheels; the plain tensorflow wheel does.
    [ "$TF_WHEEL_PACKAGE" != tensorflow-cpu ] || die "no tensorflow-cpu wheels for aarch64; rerun with TF_WHEEL_PACKAGE=tensorflow" ;;
  *) die "unsupported architecture $ARCH" ;;
esac
for tool in python3 make g++; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required (node-gyp build / wheel extraction)"
done
TFJS_NODE_VERSION="$(node -p "require('$PKG_DIR/package.json').version")"
log "tfjs-node $TFJS_NODE_VERSION; wheel $TF_WHEEL_PACKAGE==$TF_WHEEL_VERSION; cache $TF_DIR"

mkdir -p "$CACHE_ROOT" "$WHEEL_DIR"
# Two concurrent runs (e.g. CI steps) must not extract into the same cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.setup-tfjs-native.lock"
  flock 9
fi

# ------------------------------------------------------ 1. wheel (cached) --
find_wheel() {
  # Wheel file names normalise '-' to '_' (tensorflow_cpu-2.21.0-cp311-...).
  local stem="${TF_WHEEL_PACKAGE//-/_}-${TF_WHEEL_VERSION}-"
  find "$WHEEL_DIR" -maxdepth 1 -type f -name "${stem}*.whl" | sort | tail -n 1
}

if [ -f "$MARKER" ]; then
  log "reusing extracted TensorFlow in $TF_DIR"
else
  WHEEL="$(find_wheel)"
  if [ -n "$WHEEL" ]; then
    log "reusing cached wheel $(basename "$WHEEL")"
  else
    python3 -m pip --version >/dev/null 2>&1 || die "python3 -m pip is not available; install pip (apt-get install python3-pip)"
    # Ask for the wheel by tags rather than by the local interpreter, so this
    # works whatever python3 is installed: the C libraries are the same in
    # every cpXY wheel. List every manylinux tag this host's glibc can run
    # (pip 23 does not expand manylinux_2_N to older tags by itself; TF 2.21
    # is tagged manylinux2014 / manylinux_2_17).
    glibc_minor="$(getconf GNU_LIBC_VERSION 2>/dev/null | sed -n 's/^glibc 2\.\([0-9]*\).*/\1/p')"
    platform_args=(--platform "manylinux2014_${ARCH}")
    for ((m = ${glibc_minor:-17}; m >= 17; m--)); do
      platform_args+=(--platform "manylinux_2_${m}_${ARCH}")
    done
    platform_tag="manylinux_2_${glibc_minor:-17}_${ARCH} or older"
    pyver_nodot="${TF_WHEEL_PYTHON//./}"
    tmp_dl="$(mktemp -d "$WHEEL_DIR/.download.XXXXXX")"
    log "downloading $TF_WHEEL_PACKAGE==$TF_WHEEL_VERSION from PyPI (python $TF_WHEEL_PYTHON, $platform_tag); a few hundred MB, once"
    # Download into a temp dir first so an interrupted download never looks
    # like a cached wheel.
    if ! python3 -m pip download --no-deps --only-binary=:all: \
          --python-version "$TF_WHEEL_PYTHON" --implementation cp --abi "cp$pyver_nodot" \
          "${platform_args[@]}" \
          -d "$tmp_dl" "$TF_WHEEL_PACKAGE==$TF_WHEEL_VERSION" >&2; then
      rm -rf "$tmp_dl"
      die "pip download of $TF_WHEEL_PACKAGE==$TF_WHEEL_VERSION failed (no such version/wheel for python $TF_WHEEL_PYTHON on $platform_tag, or PyPI unreachable)"
    fi
    shopt -s nullglob
    dl=("$tmp_dl"/*.whl)
    shopt -u nullglob
    [ "${#dl[@]}" -eq 1 ] || { rm -rf "$tmp_dl"; die "expected exactly one wheel from pip download, got ${#dl[@]}"; }
    mv "${dl[0]}" "$WHEEL_DIR/"
    rm -rf "$tmp_dl"
    WHEEL="$WHEEL_DIR/$(basename "${dl[0]}")"
  fi
  log "wheel: $(basename "$WHEEL") ($(du -h "$WHEEL" | cut -f1))"

  # ---------------------------------------------------- 2. extract (cached) --
  # Only the two libraries plus the transitive closure of headers that the
  # binding's sources include -- not the whole ~1 GB wheel.
  tmp_x="$(mktemp -d "$CACHE_ROOT/.extract.XXXXXX")"
  log "extracting libtensorflow_cc.so.2, libtensorflow_framework.so.2 and headers"
  if ! python3 - "$WHEEL" "$tmp_x" "$PKG_DIR/binding" <<'PY' >&2; then
import os, re, shutil, sys, zipfile

wheel, dest, binding_dir = sys.argv[1:4]
LIBS = ("libtensorflow_cc.so.2", "libtensorflow_framework.so.2")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)

with zipfile.ZipFile(wheel) as zf:
    names = zf.namelist()
    # Locate the tensorflow package dir inside the wheel (normally
    # "tensorflow/", but don't assume: some wheels use *.data/purelib/).
    cc = [n for n in names if n.endswith("/" + LIBS[0])]
    if not cc:
        sys.exit(f"{LIBS[0]} not found in {os.path.basename(wheel)}")
    prefix = cc[0][: -len(LIBS[0])]
    inc_prefix = prefix + "include/"
    members = set(names)

    os.makedirs(os.path.join(dest, "lib"))
    for lib in LIBS:
        if prefix + lib not in members:
            sys.exit(f"{prefix + lib} not found in wheel")
        out = os.path.join(dest, "lib", lib)
        with zf.open(prefix + lib) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.chmod(out, 0o755)

    # Header closure starting from what binding/*.{cc,h} include; includes
    # that are not in the wheel (system / node headers) are ignored.
    todo = []
    for fn in sorted(os.listdir(binding_dir)):
        if fn.endswith((".cc", ".h")):
            with open(os.path.join(binding_dir, fn), encoding="utf-8") as f:
                todo += INCLUDE_RE.findall(f.read())
    seen = set()
    while todo:
        inc = todo.pop()
        if inc in seen or inc_prefix + inc not in members:
            continue
        seen.add(inc)
        data = zf.read(inc_prefix + inc)
        out = os.path.join(dest, "include", inc)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(data)
        todo += INCLUDE_RE.findall(data.decode("utf-8", "replace"))
    for required in ("tensorflow/c/c_api.h", "tensorflow/c/eager/c_api.h"):
        if required not in seen:
            sys.exit(f"header {required} not found under {inc_prefix} in wheel")
    print(f"extracted 2 libraries and {len(seen)} headers")
PY
    rm -rf "$tmp_x"
    die "extracting $(basename "$WHEEL") failed (corrupt download? delete it from $WHEEL_DIR and rerun)"
  fi
  # Replace atomically-ish: the marker is written last, so a half-done
  # extraction is never mistaken for a complete one.
  chmod 755 "$tmp_x"   # mktemp -d makes it 0700; node_modules links into it
  rm -rf "$TF_DIR"
  mv "$tmp_x" "$TF_DIR"
  printf '%s\n' "$(basename "$WHEEL")" > "$MARKER"
fi

# ------------------------------------------------- 3. stage deps/ symlinks --
# Names the binding links against and tfjs-node's own tooling looks for:
#   -ltensorflow / -ltensorflow_framework need the unversioned .so names; the
#   binding's DT_NEEDED becomes the SONAMEs (libtensorflow_cc.so.2,
#   libtensorflow_framework.so.2), found at runtime through its rpath
#   $ORIGIN/../../deps/lib; scripts/install.js (npm rebuild) checks for
#   libtensorflow.so.<LIBTENSORFLOW_VERSION> and then skips its download.
LIBTF_ALIAS="$(cd "$PKG_DIR" && node -p "require('./scripts/deps-constants.js').depsLibTensorFlowName" 2>/dev/null || echo libtensorflow.so.2.9.1)"
LIBTF_FW_ALIAS="$(cd "$PKG_DIR" && node -p "require('./scripts/deps-constants.js').depsLibTensorFlowFrameworkName" 2>/dev/null || echo libtensorflow_framework.so.2.9.1)"
(
  cd "$TF_DIR/lib"
  for alias in libtensorflow.so libtensorflow.so.2 "$LIBTF_ALIAS"; do
    ln -sfn libtensorflow_cc.so.2 "$alias"
  done
  for alias in libtensorflow_framework.so "$LIBTF_FW_ALIAS"; do
    ln -sfn libtensorflow_framework.so.2 "$alias"
  done
)
# deps/ is tfjs-node's own staging dir (its install script would rm -rf and
# refill it); ours holds two directory symlinks into the cache, so the 790 MB
# never lands in node_modules.
rm -rf "$PKG_DIR/deps"
mkdir -p "$PKG_DIR/deps"
ln -s "$TF_DIR/lib" "$PKG_DIR/deps/lib"
ln -s "$TF_DIR/include" "$PKG_DIR/deps/include"
log "staged $PKG_DIR/deps -> $TF_DIR"

# ---------------------------------------------------- 4. build the binding --
# Run node-gyp directly instead of tfjs-node's install.js: that script first
# makes node-pre-gyp try the Google host for a prebuilt addon (offline: a
# timeout at best) and rewrites the package's package.json while it runs.
find_node_gyp() {
  if [ -n "${NODE_GYP:-}" ]; then echo "$NODE_GYP"; return; fi
  local npm_bin npm_dir cand
  npm_bin="$(command -v npm 2>/dev/null || true)"
  if [ -n "$npm_bin" ]; then
    npm_dir="$(dirname "$(readlink -f "$npm_bin")")/.."
    for cand in "$npm_dir/node_modules/node-gyp/bin/node-gyp.js" \
                "$(dirname "$(dirname "$npm_bin")")/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"; do
      [ -f "$cand" ] && { readlink -f "$cand"; return; }
    done
  fi
  command -v node-gyp 2>/dev/null || true
}
NODE_GYP_BIN="$(find_node_gyp)"
[ -n "$NODE_GYP_BIN" ] || die "node-gyp not found (it ships with npm); set NODE_GYP=/path/to/node-gyp.js"
run_node_gyp() {
  case "$NODE_GYP_BIN" in
    *.js) node "$NODE_GYP_BIN" "$@" ;;
    *) "$NODE_GYP_BIN" "$@" ;;
  esac
}

# node-gyp needs Node's headers and cannot download them offline: find a
# prefix with include/node/node_api.h (the binding only uses N-API, so the
# headers' exact patch version does not matter).
find_nodedir() {
  local cand
  for cand in "${NODEDIR:-}" "${npm_config_nodedir:-}" \
              "$(npm config get nodedir 2>/dev/null || true)" \
              "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" \
              "$(dirname "$(dirname "$(command -v node)")")" /usr/local /usr; do
    [ -n "$cand" ] && [ "$cand" != undefined ] && [ "$cand" != null ] || continue
    if [ -f "$cand/include/node/node_api.h" ]; then echo "$cand"; return; fi
  done
  # node-gyp's own header cache (from an earlier online `node-gyp install`).
  cand="$HOME/.cache/node-gyp/$(node -p process.versions.node)"
  [ -f "$cand/include/node/node_api.h" ] && echo "$cand"
  return 0
}
NODEDIR_FOUND="$(find_nodedir)"
[ -n "$NODEDIR_FOUND" ] || die "Node.js C headers (include/node/node_api.h) not found; install them (e.g. the nodejs/libnode-dev package or a Node tarball) and/or set NODEDIR=<prefix>"

# Build straight into the directory tfjs-node's loader resolves
# (node-pre-gyp find() with package.json "binary": lib/napi-v<N>, N = the
# highest of binary.napi_versions this Node supports), with the same gyp
# variables node-pre-gyp would pass.
BINDING_PATH="$(cd "$PKG_DIR" && node -p "require('@mapbox/node-pre-gyp').find(require('path').resolve('package.json'))")" \
  || die "cannot resolve the binding path with @mapbox/node-pre-gyp (is node_modules complete?)"
MODULE_PATH="$(dirname "$BINDING_PATH")"
NAPI_BUILD_VERSION="$(basename "$MODULE_PATH" | sed -n 's/^napi-v\([0-9][0-9]*\)$/\1/p')"
[ -n "$NAPI_BUILD_VERSION" ] || die "unexpected binding path $BINDING_PATH (expected .../napi-v<N>/tfjs_binding.node)"
JOBS="$(nproc 2>/dev/null || echo 2)"
log "building $BINDING_PATH with $(basename "$NODE_GYP_BIN") (nodedir $NODEDIR_FOUND, N-API $NAPI_BUILD_VERSION, $JOBS jobs)"
build_start=$SECONDS
build_log="$(mktemp "${TMPDIR:-/tmp}/tfjs-native-build.XXXXXX.log")"
if ! (cd "$PKG_DIR" && run_node_gyp rebuild --nodedir="$NODEDIR_FOUND" --jobs="$JOBS" \
        --module_name=tfjs_binding --module_path="$MODULE_PATH" \
        --napi_build_version="$NAPI_BUILD_VERSION") >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  die "node-gyp build failed (full log: $build_log)"
fi
rm -f "$build_log"
[ -f "$BINDING_PATH" ] || die "build succeeded but $BINDING_PATH is missing"
log "built in $((SECONDS - build_start)) s"

# Catch an unresolvable library early with a clearer message than node's.
if command -v ldd >/dev/null 2>&1 && ldd "$BINDING_PATH" | grep -q 'not found'; then
  ldd "$BINDING_PATH" | grep 'not found' >&2
  die "the binding has unresolved shared libraries (see above)"
fi

# ----------------------------------------------------------------- 5. verify --
log "verifying: load + one training epoch of a dense and a conv2d model"
tf_ver="$(verify)" || die "binding built but the native backend failed verification"
log "done in ${SECONDS} s"
finish_ok "$tf_ver"
