"""The run folder and checkpoint folders as ELECTRA Lab's engine writes them (src/engine/checkpoint/*):

  <run>/run.json, vocab.txt, metrics.jsonl
  <run>/checkpoints/step-<N>/ config.json, vocab.txt, model.safetensors, generator.safetensors,
                              trainer_state.json, optimizer.safetensors

A checkpoint is written into `step-N.tmp-<pid>` and renamed, so `step-N` is complete or absent (the engine
ignores `.tmp-`, `.old-` and `.del-` folders).
"""
import json
import os
import re
import shutil

from .safetensors_io import write_safetensors

STEP_RE = re.compile(r"^step-(\d+)$")
METADATA = {"format": "pt"}  # transformers refuses safetensors without a known format


def list_checkpoints(run_dir):
    """[(step, dir)] of complete checkpoints, oldest first."""
    root = os.path.join(run_dir, "checkpoints")
    if not os.path.isdir(root):
        return []
    found = []
    for name in os.listdir(root):
        m = STEP_RE.match(name)
        d = os.path.join(root, name)
        if m and os.path.isfile(os.path.join(d, "config.json")) and os.path.isfile(os.path.join(d, "model.safetensors")):
            found.append((int(m.group(1)), d))
    return sorted(found)


def write_json_atomic(path, value):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def save_checkpoint(run_dir, step, config, vocab_text, model, generator, trainer_state, optimizer):
    root = os.path.join(run_dir, "checkpoints")
    os.makedirs(root, exist_ok=True)
    final = os.path.join(root, f"step-{step}")
    tmp = f"{final}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    write_json_atomic(os.path.join(tmp, "config.json"), config)
    with open(os.path.join(tmp, "vocab.txt"), "w") as f:
        f.write(vocab_text)
    write_safetensors(os.path.join(tmp, "model.safetensors"), model, METADATA)
    write_safetensors(os.path.join(tmp, "generator.safetensors"), generator, METADATA)
    write_json_atomic(os.path.join(tmp, "trainer_state.json"), trainer_state)
    write_safetensors(os.path.join(tmp, "optimizer.safetensors"), optimizer, METADATA)
    if os.path.exists(final):
        aside = f"{final}.old-{os.getpid()}"
        os.replace(final, aside)
        os.replace(tmp, final)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(tmp, final)
    return final


def prune_checkpoints(run_dir, keep):
    """All but the newest `keep`; a checkpoint with a finetune/ folder holds the user's results and stays."""
    for _, d in list_checkpoints(run_dir)[:-keep] if keep > 0 else []:
        if os.path.isdir(os.path.join(d, "finetune")):
            continue
        aside = f"{d}.del-{os.getpid()}"
        os.replace(d, aside)
        shutil.rmtree(aside, ignore_errors=True)


def truncate_log(path, last_step):
    """Drops log lines past the checkpoint a run resumes from, so the log matches the model."""
    if not os.path.exists(path):
        return
    kept = []
    with open(path) as f:
        for line in f:
            try:
                if json.loads(line)["step"] <= last_step:
                    kept.append(line if line.endswith("\n") else line + "\n")
            except (ValueError, KeyError, TypeError):
                continue
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.writelines(kept)
    os.replace(tmp, path)
