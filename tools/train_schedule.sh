#!/usr/bin/env bash
# The staged training schedule every model of the fusion comparison follows (BENCHMARKS.md,
# "Synthetic data and training"), for one architecture:
#   stage 1  generation 1, 20 epochs from scratch                       runs/NAME_n
#   stage 2  generation 2, 14 epochs, lr 0.001, 1 warm-up epoch         runs/NAME_n_ft
#   stage 3  generation 3, 10 epochs, the stage 2 recipe                runs/NAME_n_g3
#   stage 4  generation 3, 10 more epochs                               runs/NAME_n_g3b
#   stage 5  generation 3,  8 more epochs                               runs/NAME_n_g3c
#   stage 6  generation 3,  8 more epochs                               runs/NAME_n_g3d
# Rerunning it continues where it stopped: a finished stage is skipped, an interrupted one resumes
# from its last.pt. A stage starts from the previous stage's runs/.../best.pt or, when runs/ is
# gone, from the kept copy in bench/checkpoints/ (tools/keep_checkpoint.py), so a schedule can
# span machines.
#
#   bash tools/train_schedule.sh rgb [LAST_STAGE [NAME [TRAIN.PY OPTIONS...]]]
#   bash tools/train_schedule.sh mid 6 midasym --stream-widths 1.2,0.75
# with the data in data/synth_g1, data/synth_g2 and data/synth (tools/README.md).
set -euo pipefail
arch=${1:?usage: train_schedule.sh mid|early|rgb|ir [last stage 1-6 [name [options]]]}
last=${2:-6}
name=${3:-$arch}
shift $(($# < 3 ? $# : 3))
cd "$(dirname "$0")/.."

data=(data/synth_g1 data/synth_g2 data/synth data/synth data/synth data/synth)
outs=("${name}_n" "${name}_n_ft" "${name}_n_g3" "${name}_n_g3b" "${name}_n_g3c" "${name}_n_g3d")
epochs=(20 14 10 10 8 8)
common=(--arch "$arch" --scale n --imgsz 320 --batch 16 --workers 1 --threads 1 --cache --val-every 2 "$@")

# The newest stage kept in the repository: it and every stage before it were done on some machine.
kept=-1
for ((s = 0; s < ${#outs[@]}; s++)); do
    [[ -f bench/checkpoints/${outs[s]}.pt ]] && kept=$s
done

for ((s = 0; s < last; s++)); do
    out=runs/${outs[s]}
    if [[ -f $out/complete ]] || { ((s <= kept)) && [[ ! -f $out/last.pt ]]; }; then
        continue
    fi
    if [[ -f $out/last.pt ]]; then
        python3 tools/train.py --out "$out" --resume
    elif ((s == 0)); then
        python3 tools/train.py --data "${data[s]}" "${common[@]}" --epochs "${epochs[s]}" --out "$out"
    else
        prev=${outs[s - 1]}
        init=runs/$prev/best.pt
        [[ -f $init ]] || init=bench/checkpoints/$prev.pt
        python3 tools/train.py --data "${data[s]}" "${common[@]}" --epochs "${epochs[s]}" --lr 0.001 \
            --warmup-epochs 1 --init "$init" --out "$out"
    fi
    touch "$out/complete"
done
