#!/usr/bin/env bash
# Build (or reuse) the posereid environment.
#
#   scripts/install.sh            # venv at $POSEREID_VENV, default <checkout>/.venv
#
# Idempotent: the venv records a hash of requirements/lock.txt and this script; when both are
# unchanged a second call only checks that posereid points at this checkout (seconds).
# The stages follow the recipe that works on CPU-only x86_64 / Python 3.11 (see README):
#   torch 2.14.1 first; numpy<2 and setuptools<81 (pkg_resources) before anything OpenMMLab;
#   mmcv 2.1.0 built from its sdist with ops and -std=c++20 (torch 2.14 headers);
#   mmpose, trackeval and trackers --no-deps (chumpy does not build; trackeval and trackers ask
#   numpy>=2); mediapipe --no-deps (optional, BlazePose backend);
#   Debian's chromium (as root) for the live view's browser test.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${POSEREID_VENV:-$ROOT/.venv}
LOCK=$ROOT/requirements/lock.txt
PYTHON=${POSEREID_PYTHON:-python3.11}
STAMP=$VENV/.posereid-env.sha256
want=$(cat "$LOCK" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)

log() { printf '[install] %s\n' "$*" >&2; }

# "pins NAME..." prints the lock's requirement line for each name.
pins() {
  local name line
  for name in "$@"; do
    line=$(grep -E "^${name}([=<>!~ ]|$)" "$LOCK" | head -n1) || true
    [ -n "$line" ] || { log "no pin for '$name' in $LOCK"; exit 1; }
    printf '%s\n' "$line"
  done
}

link_checkout() {
  # posereid itself: an editable install that points at this checkout (the venv may outlive it).
  local here
  here=$(cd / && "$VENV/bin/python" -I -c 'import posereid, os; print(os.path.dirname(os.path.dirname(posereid.__file__)))' 2>/dev/null || true)
  if [ "$here" != "$ROOT" ]; then
    log "linking posereid -> $ROOT"
    "$VENV/bin/pip" install -q --no-deps --no-build-isolation -e "$ROOT"
  fi
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
  link_checkout
  log "environment up to date: $VENV"
  exit 0
fi

log "building environment in $VENV (first time: about 10 minutes, mostly the mmcv build)"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/pip" install --disable-pip-version-check)
rm -f "$STAMP"

log "stage 1/7: torch"
"${PIP[@]}" $(pins torch torchvision)

log "stage 2/7: numpy, opencv, scipy, mmengine, faiss, onnx, supervision, tools"
"${PIP[@]}" $(pins setuptools wheel ninja numpy opencv-python scipy h5py pillow matplotlib \
  tensorboard tqdm pytest hypothesis scikit-image mmengine faiss-cpu onnx onnxruntime ml_dtypes \
  protobuf supervision werkzeug)

if "$VENV/bin/python" -c 'import mmcv, mmcv.ops; assert mmcv.__version__ == "2.1.0"' 2>/dev/null; then
  log "stage 3/7: mmcv 2.1.0 with ops already built"
else
  log "stage 3/7: mmcv 2.1.0 from sdist with ops (about 7 minutes)"
  build=$(mktemp -d)
  trap 'rm -rf "$build"' EXIT
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: --no-build-isolation \
    "$(pins mmcv)" -d "$build"
  tar -xzf "$build"/mmcv-2.1.0.tar.gz -C "$build"
  # torch 2.14's headers need C++20; mmcv's setup.py pins C++17.
  sed -i 's/-std=c++17/-std=c++20/g' "$build/mmcv-2.1.0/setup.py"
  MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-2} \
    "${PIP[@]}" --no-build-isolation --no-deps "$build/mmcv-2.1.0"
fi

log "stage 4/7: mmdet and mmpose's run-time needs"
"${PIP[@]}" $(pins mmdet json-tricks munkres xtcocotools six) $(pins numpy)

# mmpose's chumpy does not build and is never imported; trackeval's metadata asks numpy>=2.3,
# its metrics need only numpy and scipy; trackers' asks numpy>=2.0.2, its ByteTrack needs only
# numpy, scipy, supervision and pydeprecate.
log "stage 5/7: mmpose, trackeval and trackers (no deps)"
"${PIP[@]}" --no-deps $(pins mmpose trackeval tabulate trackers pydeprecate)

log "stage 6/7: mediapipe BlazePose backend (optional)"
if "${PIP[@]}" --no-deps $(pins mediapipe opencv-contrib-python) \
   && "${PIP[@]}" $(pins absl-py attrs flatbuffers protobuf sounddevice) $(pins numpy) \
   && "$VENV/bin/python" -c 'import mediapipe as mp; mp.solutions.pose.Pose'; then
  log "mediapipe installed"
else
  log "WARNING: mediapipe did not install; the BlazePose backend will be unavailable"
fi

"$VENV/bin/python" - <<'PY'
import numpy, torch, torchvision, mmcv, mmcv.ops, mmengine, mmdet, mmpose  # noqa: F401
import faiss, onnx, onnxruntime, supervision, trackeval, trackers, werkzeug  # noqa: F401
assert numpy.__version__.startswith('1.'), numpy.__version__
print(f'[install] torch {torch.__version__}, mmcv {mmcv.__version__}, mmpose {mmpose.__version__}')
PY

# The live view's test loads its page in a real headless browser: Debian's chromium.
log "stage 7/7: Debian's chromium (the live view's browser test)"
if command -v chromium >/dev/null 2>&1; then
  log "chromium already installed"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
    || log "WARNING: chromium did not install; the live view's browser test will be skipped"
else
  log "WARNING: not root (or no apt-get): chromium not installed; the live view's browser test will be skipped"
fi

link_checkout
echo "$want" > "$STAMP"
log "done: $VENV"
