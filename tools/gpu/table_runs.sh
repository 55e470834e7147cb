#!/usr/bin/env bash
# The model-comparison runs of issue #4 on one GPU box, all at once (one process per run sharing the
# GPU, each with few data-loading workers). Same recipe as the CPU runs in
# the README: 10 epochs, lr 5e-4, one cosine cycle, 80 validation images.
#
#   PACK=.gpu OUT=out DEADLINE=330 bash tools/gpu/table_runs.sh
#
# Measured on an H200 lease (16 CPU cores): ten runs at once went at ~30 images/s each (~300/s in all),
# seven at once finished 10 epochs in ~9 minutes (two calls: the first stopped at DEADLINE=430, the
# second continued with EXTRA="--resume" on the same warm machine, whose runs-gpu/ was still there).
# The 30-epoch run takes ~25 minutes: more than one 15-minute lease. Choose runs with ONLY="...".
# EXTRA adds options to every run (a smoke test: EXTRA="--max-steps 2 --device cpu" PY=.venv/bin/python).
# PACK holds what tools/gpu/pack.py writes (data/, weights/, and whl/ for a box without albumentations).
# Every run's log and validation curves come back in OUT/runs.tar; the best models of the runs named in
# MODELS_BACK come back as fp16 in 15 MiB parts (OUT/<run>.fp16.safetensors.partN; join them with cat):
# a call returns at most 8 files, 16 MiB each, 64 MiB in all.
set -u
PACK=${PACK:-.gpu}
OUT=${OUT:-out}
DEADLINE=${DEADLINE:-330}
RUNS=${RUNS:-runs-gpu}
PY=${PY:-python3}
mkdir -p "$OUT" "$RUNS"
if [ -d "$PACK/whl" ] && ! $PY -c "import albumentations" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$PACK"/whl/*.whl || exit 3
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export BGREMOVER_WEIGHTS_DIR="$PACK/weights" NO_ALBUMENTATIONS_UPDATE=1 HF_HUB_OFFLINE=1
$PY -c "import torch, albumentations, timm, bgremover.train; print(torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(), timm.__version__)" || exit 4
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv

common=(--data "$PACK/data/ccp_person" --backgrounds "$PACK/data/backgrounds" --max-val-images 80 --no-progress
  --epochs 10 --t0 10 --t-mult 1 --lr 5e-4 --checkpoint-every 200 --encoder tf_efficientnet_lite2)
launch() {  # name, workers, subcommand, options (these override the common ones)...
  local name=$1 workers=$2 sub=$3; shift 3
  [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]] && return
  $PY -m bgremover "$sub" "${common[@]}" --num-workers "$workers" "$@" ${EXTRA:-} >"$RUNS/$name.log" 2>&1 &
}
launch lite2 1 train --out-dir "$RUNS/lite2"
launch lite2-noperc-noedge 1 train --out-dir "$RUNS/lite2-noperc-noedge" --w-perceptual 0 --w-edge 0
launch lite2-nogates 1 train --out-dir "$RUNS/lite2-nogates" --no-attention
launch resnet50-scratch 1 train --out-dir "$RUNS/resnet50-scratch" --encoder resnet50 --encoder-weights none
for k in 0 1 2 3 4; do launch "cv-fold$k" 1 cv --out-dir "$RUNS/cv-lite2" --fold $k; done
# the design's full schedule (30 epochs, warm restarts at 10 and 30) for the model to ship
launch lite2-30ep 3 train --out-dir "$RUNS/lite2-30ep" --epochs 30 --t0 10 --t-mult 2

end=$((SECONDS + DEADLINE))
while [ -n "$(jobs -rp)" ] && [ $SECONDS -lt $end ]; do sleep 5; done
[ -n "$(jobs -rp)" ] && { echo "deadline: stopping $(jobs -rp | wc -l) runs"; kill $(jobs -rp); sleep 3; }
nvidia-smi --query-gpu=memory.used --format=csv
tail -n 3 "$RUNS"/*.log

$PY - "$RUNS" "$OUT" ${MODELS_BACK:-} <<'PY'
import sys, tarfile, pathlib
from safetensors.torch import load_file, save_file
runs, out = map(pathlib.Path, sys.argv[1:3])
part_bytes = 15 * 2**20  # a returned file may hold 16 MiB: bigger models come back in parts (join with cat)
with tarfile.open(out / "runs.tar", "w") as tar:
    for path in sorted(runs.rglob("*")):
        if path.is_file() and (path.suffix in {".json", ".jsonl", ".csv", ".md", ".log"}):
            tar.add(path, arcname=str(path.relative_to(runs)))
for name in sys.argv[3:]:
    best = runs / name / "best" / "model.safetensors"
    if not best.is_file():
        print(f"{name}: no best model")
        continue
    half = runs / name / "best" / "model.fp16.safetensors"
    save_file({k: v.half() if v.is_floating_point() else v for k, v in load_file(best).items()}, half)
    data = half.read_bytes()
    for i in range(0, len(data), part_bytes):
        (out / f"{name}.fp16.safetensors.part{i // part_bytes}").write_bytes(data[i : i + part_bytes])
PY
ls -la "$OUT"
