#!/usr/bin/env bash
# The CUDA checks of the real-data benchmark, as one script for a machine with a GPU: the matching
# layers' benchmark on CUDA, the real table (headline rows, 3 seeds, the GPU budget, seeds in
# parallel processes), the ResNet-50 fusion recipe with mixed precision, and the remaining rows
# while time is left. Every stage is time-boxed; what finished is in $OUT.
#
#   PACK=<packed data> OUT=<results> BUDGET_S=480 bash benchmarks/gpu/run_gpu_checks.sh
#
# PACK is benchmarks/gpu/pack_real_data.py's output (resized images and keypoints files); a
# machine with the raw data and MediaPipe can point --cuhk03/--viper at it directly instead.
set -uo pipefail
PACK=${PACK:?give PACK, the packed data}
OUT=${OUT:?give OUT, the results folder}
END=$((SECONDS + ${BUDGET_S:-480}))
PY=${PY:-python3}
mkdir -p "$OUT"
log() { echo "[gpu $(date +%T) +${SECONDS}s] $*"; }
left() { echo $((END - SECONDS)); }
DATA=(--cuhk03 "$PACK/cuhk03_seed" --viper "$PACK/viper" --device cuda)

log "$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
$PY -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)'

log 'heatmap caches from the packed keypoints'
for source in cuhk03_pair1:cuhk03_seed viper:viper; do
  name=${source%%:*}; folder=${source##*:}
  $PY tools/precompute_heatmaps.py --dataset "$name" --root "$PACK/$folder" --pose keypoints_file \
    --keypoints "$PACK/${name}_keypoints.npz" --out "work_dirs/heatmaps/$name" --no-progress
done

log 'matching layers on CUDA'
timeout 120 $PY benchmarks/bench_layers.py --device cuda --json "$OUT/bench_layers_cuda.json"

log 'the real table: headline rows, GPU budget, seeds 0 1 2 in parallel'
for seed in 0 1 2; do
  timeout $(($(left) - 200)) $PY experiments/real_benchmark.py --budget gpu --seeds $seed \
    "${DATA[@]}" --out work_dirs/real_gpu --results '' > "work_dirs/real_gpu_seed$seed.log" 2>&1 &
done
wait
$PY experiments/real_benchmark.py --budget gpu --seeds 0 1 2 --finished-only "${DATA[@]}" \
  --out work_dirs/real_gpu --results "$OUT" 2>&1 | tail -n 30

log 'the ResNet-50 fusion recipe (from scratch, mixed precision)'
timeout $(($(left) - 30)) $PY experiments/real_benchmark.py --recipe r50 --seeds 0 "${DATA[@]}" \
  --out work_dirs/real_gpu --results "$OUT" 2>&1 | tail -n 20

if [ "$(left)" -gt 60 ]; then
  log 'the other rows, seed 0, while time is left'
  timeout $(($(left) - 20)) $PY experiments/real_benchmark.py --budget gpu --rows all --seeds 0 \
    "${DATA[@]}" --out work_dirs/real_gpu --results "$OUT/all_rows" 2>&1 | tail -n 30
fi
tar -czf "$OUT/runs.tar.gz" work_dirs/real_gpu/*.md work_dirs/real_gpu_seed*.log \
  work_dirs/real_gpu/pictures work_dirs/real_gpu/*/seed*/study_run.json 2>/dev/null
log done
