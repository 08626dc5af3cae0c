#!/usr/bin/env bash
# gpu_check.sh: minigrad's CUDA backend on a real NVIDIA GPU, in one run of under 8 minutes (twice fits in 15).
#
#   bash benchmarks/gpu_check.sh --stage     # beside ../shared: copy ../shared/data/mnist into gpu_check_data/mnist
#                                            # (untracked, not git-ignored: it travels with the tree), then stop
#   bash benchmarks/gpu_check.sh --dry-run   # print each phase's command and check the files it needs; run nothing
#   bash benchmarks/gpu_check.sh             # on the GPU machine, from the project root; results under $OUT
#   GPU_CHECK_SMOKE=1 NUMBA_ENABLE_CUDASIM=1 bash benchmarks/gpu_check.sh   # the plumbing on the simulator, tiny sizes
#
# Every phase has its own time limit inside a shared deadline (GPU_CHECK_SECONDS, default 450) and writes its
# results as they exist, so a time-out loses only the phase that was running:
#   env.txt                      GPU, driver, package versions
#   cuda_counts.md / .jsonl      per training step: launches, allocations, pool hits, copies, syncs, host and step ms
#   gpu_bench.md / .jsonl        benchmarks/gpu.py against PyTorch, one row at a time (GEMM, GEMM kernel alone,
#                                conv fwd+bwd, LeNet-5, ResNet-18)
#   tests_small.* / tests_full.* the CUDA suite: -m "needs_cuda and not cuda" and -m cuda, side by side
#   train/                       LeNet-5 on MNIST with python -m minigrad.train --device cuda (metrics.json)
#   summary.txt                  one line per phase
set -u
ROOT=$(pwd)
PY=${PYTHON:-python3}
OUT=${OUT:-$ROOT/gpu_check_out}
DATA=${GPU_CHECK_DATA:-$ROOT/gpu_check_data/mnist}  # GPU_CHECK_DATA: MNIST elsewhere (smoke runs)
SMOKE=${GPU_CHECK_SMOKE:-0}
MODE=${1:-run}
START=$(date +%s)
DEADLINE=$((START + ${GPU_CHECK_SECONDS:-450}))

NEEDED="minigrad/backend/cuda.py benchmarks/gpu.py benchmarks/cuda_counts.py benchmarks/cuda_host_probe.py
 tests/minigrad/test_devices.py tests/minigrad/test_cuda_training.py tests/minigrad/test_cuda_budgets.py"
for f in $NEEDED; do
  [ -f "$f" ] || { echo "gpu_check.sh: run it from the minigrad project root ($f is missing)" >&2; exit 2; }
done
case "$MODE" in
  --stage)
    [ -d ../shared/data/mnist ] || { echo "gpu_check.sh --stage: ../shared/data/mnist not found" >&2; exit 2; }
    mkdir -p "$(dirname "$DATA")" && cp -r ../shared/data/mnist "$DATA" && echo "staged MNIST in $DATA"; exit 0 ;;
  --dry-run|run) ;;
  *) echo "gpu_check.sh: unknown argument '$MODE' (expected --stage, --dry-run or nothing)" >&2; exit 2 ;;
esac

left() { local l=$((DEADLINE - $(date +%s))); [ "$l" -lt 5 ] && l=5; [ "$l" -lt "$1" ] && echo "$l" || echo "$1"; }
log() { echo "[$(($(date +%s) - START))s] $*" | tee -a "$OUT/summary.txt"; }
phase() {  # phase NAME SECONDS LOGFILE COMMAND...: run it under its time limit (or print it on --dry-run)
  local name=$1 limit=$2 logfile=$3; shift 3
  if [ "$MODE" = --dry-run ]; then echo "$name (<= ${limit}s): $*"; return 0; fi
  timeout "$(left "$limit")" "$@" > "$logfile" 2>&1
  local rc=$?
  log "$name rc=$rc $( [ $rc = 124 ] && echo '(timed out)')"
  return $rc
}

export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH} PYTHONDONTWRITEBYTECODE=1 NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS=0
[ "$SMOKE" = 1 ] || unset NUMBA_ENABLE_CUDASIM
if [ "$MODE" = run ]; then mkdir -p "$OUT/train"; : > "$OUT/summary.txt"; fi
if [ "$SMOKE" = 1 ]; then
  COUNT_ARGS="--runs lenet:2,resnet:2 --small --steps 1"; BENCH_ARGS="--smoke"; TEST_K=(-k counters)
  TRAIN_ARGS="--epochs 1 --limit-train 64 --limit-test 64 --batch-size 32"; DEVICE=cpu  # the simulator: hours at 28x28
else  # on the GPU: counts and times on the real driver (--gpu), LeNet-5 for 2 epochs (>= 98.5% expected)
  COUNT_ARGS="--gpu --runs lenet:64,resnet:16,resnet:128 --steps 10"; BENCH_ARGS=""; TEST_K=()
  TRAIN_ARGS="--epochs 2 --batch-size 64 --lr 0.05"; DEVICE=cuda
fi

# ---- 1 environment -------------------------------------------------------------------------------------
phase env 30 "$OUT/env.txt" bash -c "nvidia-smi; $PY - <<'EOF'
import importlib, platform, sys
print('python', sys.version.split()[0], platform.machine())
for m in ('numpy', 'numba', 'numba.cuda', 'torch', 'pytest', 'cupy', 'nvmath'):
    try:
        print(f'{m:12s}', getattr(importlib.import_module(m), '__version__', 'present'))
    except Exception as e:
        print(f'{m:12s} ABSENT ({type(e).__name__})')
from numba import cuda
print('numba cuda.is_available', cuda.is_available())
if cuda.is_available():
    d = cuda.get_current_device()
    print('device', getattr(d, 'name', '?'), 'cc', d.compute_capability, 'SMs', getattr(d, 'MULTIPROCESSOR_COUNT', '?'))
EOF"

# ---- 2 what a step asks of the GPU (first, it is quick and tells the most) ------------------------------
phase cuda_counts 90 "$OUT/cuda_counts.jsonl" env -u NUMBA_ENABLE_CUDASIM $PY benchmarks/cuda_counts.py $COUNT_ARGS \
  --json --markdown "$OUT/cuda_counts.md"

# ---- 3 benchmarks against PyTorch, rows written as they finish -----------------------------------------
phase gpu_bench 170 "$OUT/gpu_bench.log" $PY benchmarks/gpu.py $BENCH_ARGS --out "$OUT/gpu_bench.md" \
  --jsonl "$OUT/gpu_bench.jsonl"

# ---- 4 the CUDA test suite (both marker sets, side by side) and 5 LeNet-5 on MNIST ----------------------
TESTS="tests/kernels tests/minigrad/test_devices.py tests/minigrad/test_cuda_training.py
 tests/minigrad/test_cuda_budgets.py"
T=$(left 170)
if [ "$MODE" = --dry-run ]; then
  echo "tests (<= ${T}s, two in parallel): $PY -m pytest -m 'needs_cuda and not cuda' / -m cuda ${TEST_K[*]} $TESTS"
else
  timeout "$T" $PY -m pytest -p no:cacheprovider -q -rfEs -m "needs_cuda and not cuda" "${TEST_K[@]}" \
    --junitxml="$OUT/tests_small.xml" $TESTS > "$OUT/tests_small.log" 2>&1 & P1=$!
  timeout "$T" $PY -m pytest -p no:cacheprovider -q -rfEs -m cuda "${TEST_K[@]}" \
    --junitxml="$OUT/tests_full.xml" $TESTS > "$OUT/tests_full.log" 2>&1 & P2=$!
fi
if [ -d "$DATA" ] || [ "$MODE" = --dry-run ]; then
  phase train "$T" "$OUT/train/train.log" $PY -m minigrad.train --model lenet5 --dataset mnist --data-dir "$DATA" \
    --device $DEVICE $TRAIN_ARGS --quiet --out "$OUT/train"
else
  log "train skipped: no MNIST at $DATA (run 'bash benchmarks/gpu_check.sh --stage' beside ../shared first)"
fi
if [ "$MODE" = run ]; then
  wait "$P1"; log "tests small rc=$?: $(tail -n 1 "$OUT/tests_small.log")"
  wait "$P2"; log "tests full rc=$?: $(tail -n 1 "$OUT/tests_full.log")"
  log "done in $(($(date +%s) - START)) s; results in $OUT"
fi
