"""The exported job's training loop: ELECTRA Lab's pretraining recipe (src/engine/pretrain/trainer.ts) on
PyTorch, one process or many under torchrun (DistributedDataParallel: gloo on CPU, nccl on GPU), writing the
run folder the Lab reads. See the job's README.md for launching it."""
import argparse
import json
import math
import os
import shutil
import sys
import time

import torch
import torch.distributed as dist
from torch import nn

from . import folders
from .data import Shards
from .metrics import Interval, step_flops
from .model import build_pair, load_state
from .safetensors_io import read_safetensors
from .step import AdamW, corrupt, engine_names, gumbel_sample, learning_rate_at, mask_batch, mlm_sums, row_generator, rtd_sums


class Pair(nn.Module):
    """Generator + discriminator as one module, so DDP sees every parameter once (a tied table is shared)."""

    def __init__(self, generator, discriminator):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator

    def forward(self, masked, types, attention, flat, labels, weights, gens, slots_total, tokens_total, disc_weight):
        mlm_sum, gen_logits = mlm_sums(self.generator, masked, types, attention, flat, labels, weights)
        samples = gumbel_sample(gen_logits.detach(), gens)
        corrupted, replaced = corrupt(masked, flat, labels, weights, samples)
        rtd_sum, disc_logits = rtd_sums(self.discriminator, corrupted, types, attention, replaced, attention)
        # Normalised by the whole global batch's counts, so summing over micro-batches and processes gives
        # exactly the engine's per-batch means (DDP averages over processes: the caller scales by the world).
        loss = mlm_sum / (slots_total + 1e-6) + disc_weight * rtd_sum / (tokens_total + 1e-6)
        return loss, mlm_sum.detach(), rtd_sum.detach(), gen_logits.detach().argmax(-1), samples, disc_logits.detach(), replaced


def parse_args(argv, run):
    p = argparse.ArgumentParser(description="ELECTRA Lab pretraining on PyTorch (DDP under torchrun)")
    p.add_argument("--out", required=True, help="the run folder (checkpoints, metrics.jsonl); an engine run folder continues with --resume")
    p.add_argument("--steps", type=int, default=run["steps"], help="total steps of the run (the schedule's length)")
    p.add_argument("--batch", type=int, default=run["batchSize"], help="global batch (examples per step, all processes)")
    p.add_argument("--micro-batch", type=int, default=0, help="examples per forward on one process (default: global batch / processes)")
    p.add_argument("--lr", type=float, default=run["learningRate"])
    p.add_argument("--warmup", type=int, default=None, help="warmup steps (default: the run's)")
    p.add_argument("--save-every", type=int, default=run["saveEvery"])
    p.add_argument("--log-every", type=int, default=run["logEvery"])
    p.add_argument("--keep", type=int, default=run["keepCheckpoints"])
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument("--dropout", type=float, default=None, help="override the models' dropout rates (0: deterministic)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads per process (default: cores / local processes)")
    p.add_argument("--amp", choices=["auto", "off"], default="auto", help="mixed precision on GPU (bf16, else fp16)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--check-ranks", action="store_true", help="at the end, fail unless every process holds the same weights")
    a = p.parse_args(argv)
    for key in ("steps", "batch", "save_every", "log_every", "keep"):
        if getattr(a, key) <= 0:
            sys.exit(f"train.py: --{key.replace('_', '-')} must be a positive integer, got {getattr(a, key)}")
    return a


class World:
    def __init__(self, device_request):
        self.size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.local_size = int(os.environ.get("LOCAL_WORLD_SIZE", str(self.size)))
        cuda = torch.cuda.is_available() if device_request == "auto" else device_request == "cuda"
        if cuda and not torch.cuda.is_available():
            sys.exit("train.py: --device cuda but torch sees no GPU — use --device cpu")
        self.device = torch.device(f"cuda:{self.local_rank}" if cuda else "cpu")
        if cuda:
            torch.cuda.set_device(self.device)
        if self.size > 1:
            dist.init_process_group("nccl" if cuda else "gloo")

    def all_reduce(self, t):
        if self.size > 1:
            dist.all_reduce(t)
        return t

    def close(self):
        if self.size > 1:
            # Every process leaves together; then exit at once. Under torch 1.13's gloo a process that finished
            # was seen never to exit (one thread spinning after the other rank had gone); everything it wrote is
            # already on disk (atomic checkpoints), so the interpreter's teardown is skipped.
            dist.barrier()
            dist.destroy_process_group()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)


def main(job_dir, argv):
    with open(os.path.join(job_dir, "job.json")) as f:
        job = json.load(f)
    run = job["run"]
    a = parse_args(argv, run)
    world = World(a.device)
    if a.batch % world.size:
        sys.exit(f"train.py: --batch {a.batch} must be a multiple of the {world.size} processes")
    local_batch = a.batch // world.size
    micro = a.micro_batch or local_batch
    if local_batch % micro:
        sys.exit(f"train.py: --micro-batch {micro} must divide the per-process batch {local_batch}")
    if world.device.type == "cpu":
        torch.set_num_threads(a.threads or max(1, (os.cpu_count() or 1) // world.local_size))
    out = os.path.abspath(a.out)
    is_main = world.rank == 0
    vocab_text = open(os.path.join(job_dir, job["vocab"])).read()
    config = job["checkpoint_config"]
    data = job["data"]

    # Where the weights start: the newest checkpoint in --out (--resume), else the job's init/ checkpoint.
    existing = folders.list_checkpoints(out)
    if existing and not a.resume:
        sys.exit(f"train.py: {out} already has checkpoints — pass --resume to continue that run, or choose another --out")
    start_dir = existing[-1][1] if existing else os.path.join(job_dir, job["init"])
    run_vocab = os.path.join(out, "vocab.txt")
    if os.path.exists(run_vocab) and open(run_vocab).read() != vocab_text:
        sys.exit(f"train.py: {run_vocab} differs from this job's vocabulary — --out must be the run this job was "
                 "exported from (or a new folder)")
    if is_main:
        os.makedirs(out, exist_ok=True)
        run_file = os.path.join(out, "run.json")
        if not os.path.exists(run_file) or a.steps != run["steps"]:
            recorded = json.load(open(run_file)) if os.path.exists(run_file) else dict(run)
            folders.write_json_atomic(run_file, {**recorded, "out": out, "steps": a.steps})
        if not os.path.exists(os.path.join(out, "vocab.txt")):
            with open(os.path.join(out, "vocab.txt"), "w") as f:
                f.write(vocab_text)
    with open(os.path.join(start_dir, "config.json")) as f:
        start_config = json.load(f)
    generator, discriminator = build_pair(start_config, a.dropout)
    load_state(generator, read_safetensors(os.path.join(start_dir, "generator.safetensors")), "generator.safetensors")
    load_state(discriminator, read_safetensors(os.path.join(start_dir, "model.safetensors")), "model.safetensors")
    state_file = os.path.join(start_dir, "trainer_state.json")
    state = json.load(open(state_file)) if os.path.exists(state_file) else {}
    state = {"step": 0, "examples_seen": 0, "tokens_seen": 0, "flops": 0, "elapsed_s": 0, **state,
             "seed": run["seed"], "seq_length": run["seqLength"], "held_out_fraction": run["heldOutFraction"],
             "documents": run.get("documents", "file")}
    pair = Pair(generator, discriminator).to(world.device)
    named = engine_names(pair.generator, pair.discriminator)
    optimizer = AdamW(named, lr=a.lr, weight_decay=run["weightDecay"], eps=run["adamEpsilon"], clip=run["clipNorm"])
    optimizer_file = os.path.join(start_dir, "optimizer.safetensors")
    if os.path.exists(optimizer_file) and state["step"] > 0:
        optimizer.load_state_tensors({k: v.to(world.device) for k, v in read_safetensors(optimizer_file).items()}, optimizer_file)
    model = nn.parallel.DistributedDataParallel(pair, device_ids=[world.device] if world.device.type == "cuda" else None) \
        if world.size > 1 else pair
    if is_main:
        folders.truncate_log(os.path.join(out, "metrics.jsonl"), state["step"])
        print(f"train.py: {world.size} process(es) on {world.device.type}, global batch {a.batch} "
              f"({micro} per forward), from {start_dir} at step {state['step']}", flush=True)

    amp = world.device.type == "cuda" and a.amp == "auto"
    amp_dtype = torch.float16 if amp and not torch.cuda.is_bf16_supported() else torch.bfloat16
    loss_scale = 2.0 ** 16 if amp and amp_dtype == torch.float16 else 1.0
    shards = Shards(job_dir, data)
    warmup = a.warmup if a.warmup is not None else run["warmupSteps"]
    disc_cfg = {k: start_config[k] for k in ("hidden_size", "intermediate_size", "embedding_size", "num_hidden_layers", "vocab_size")}
    gen_cfg = start_config["electra_lab"]["generator"]
    interval = Interval(world.device)
    interval_tokens, interval_start = 0.0, time.perf_counter()
    run_start = time.perf_counter() - state["elapsed_s"]
    last_saved = state["step"] if existing else -1
    pair.train()

    def save(step):
        if is_main:
            tensors = lambda module: {k: v for k, v in module.state_dict().items()}
            disc = tensors(pair.discriminator)
            folders.save_checkpoint(out, step, config, vocab_text, disc, tensors(pair.generator),
                                    dict(state, engine="pytorch", world_size=world.size), optimizer.state_tensors())
            folders.prune_checkpoints(out, a.keep)
        if world.size > 1:
            dist.barrier()

    while state["step"] < a.steps:
        step = state["step"] + 1
        ids, types, attention, epoch = shards.rows(run["seed"], state["examples_seen"] + world.rank * local_batch, local_batch)
        first_row = world.rank * local_batch
        gens = [row_generator(run["seed"], step, first_row + r) for r in range(local_batch)]
        masked, flat, labels, weights = mask_batch(ids, attention, gens, data["mask_id"], data["special_ids"], run["maskProb"],
                                              rule=run.get("masking", "electra"), unk_id=data.get("unk_id"))
        P = flat.shape[0] // local_batch
        counts = world.all_reduce(torch.tensor([float(weights.sum()), float(attention.sum())], device=world.device))
        lr = learning_rate_at(state["step"], a.lr, warmup, a.steps)
        mlm_total = rtd_total = 0.0
        for m0 in range(0, local_batch, micro):
            rows = slice(m0, m0 + micro)
            slots = slice(m0 * P, (m0 + micro) * P)
            dev = lambda t: t.to(world.device, non_blocking=True)
            m_ids, m_types, m_att = dev(masked[rows]), dev(types[rows]), dev(attention[rows])
            m_flat = dev(flat[slots] - m0 * ids.shape[1])
            m_flat = torch.where(weights[slots].to(world.device) > 0, m_flat, torch.zeros_like(m_flat))
            m_labels, m_weights = dev(labels[slots]), dev(weights[slots])
            last = m0 + micro >= local_batch
            sync = model.no_sync() if (world.size > 1 and not last) else _nothing()
            with sync, torch.autocast(world.device.type, dtype=amp_dtype, enabled=amp):
                loss, mlm_sum, rtd_sum, preds, samples, disc_logits, replaced = model(
                    m_ids, m_types, m_att, m_flat, m_labels, m_weights, gens[rows], counts[0], counts[1],
                    run["discriminatorWeight"])
                (loss * world.size * loss_scale).backward()
            mlm_total += float(mlm_sum)
            rtd_total += float(rtd_sum)
            interval.add_rows(preds, samples, m_labels, m_weights, disc_logits, replaced, m_att)
        if loss_scale != 1.0:
            for p in optimizer.params:
                if p.grad is not None:
                    p.grad.div_(loss_scale)
        norm = float(optimizer.grad_norm())
        sums = world.all_reduce(torch.tensor([mlm_total, rtd_total], dtype=torch.float64, device=world.device))
        mlm_loss = float(sums[0]) / (float(counts[0]) + 1e-6)
        rtd_loss = float(sums[1]) / (float(counts[1]) + 1e-6)
        total_loss = mlm_loss + run["discriminatorWeight"] * rtd_loss
        if not math.isfinite(norm) and loss_scale != 1.0:
            loss_scale /= 2  # fp16 overflow: skip this update, as GradScaler does
            for p in optimizer.params:
                p.grad = None
        else:
            if not math.isfinite(total_loss):
                sys.exit(f"train.py: the loss became {total_loss} at step {step} — lower the learning rate (--lr) "
                         "or resume from the last checkpoint")
            optimizer.step(lr)
        tokens = float(counts[1])
        state.update(step=step, examples_seen=state["examples_seen"] + a.batch, tokens_seen=state["tokens_seen"] + tokens,
                     flops=state["flops"] + step_flops(disc_cfg, gen_cfg, a.batch, ids.shape[1], P * a.batch),
                     elapsed_s=time.perf_counter() - run_start)
        interval.add_step(total_loss, mlm_loss, rtd_loss)
        interval_tokens += tokens
        if step % a.log_every == 0 or step == a.steps:
            figures = interval.result(world.all_reduce)
            seconds = time.perf_counter() - interval_start
            record = {"step": step, **figures, "learning_rate": lr, "grad_norm": norm,
                      "tokens_per_sec": interval_tokens / max(1e-9, seconds), "tokens_seen": state["tokens_seen"],
                      "flops": state["flops"], "examples_seen": state["examples_seen"], "epoch": epoch,
                      "elapsed_s": state["elapsed_s"]}
            if is_main:
                with open(os.path.join(out, "metrics.jsonl"), "a") as f:
                    f.write(json.dumps({k: _round(v) for k, v in record.items()}) + "\n")
                print(f"step {step}/{a.steps} loss {record['loss']:.4f} disc_auc {record['disc_auc']:.3f} "
                      f"{record['tokens_per_sec']:.0f} tokens/s", flush=True)
            interval = Interval(world.device)
            interval_tokens, interval_start = 0.0, time.perf_counter()
        if step % a.save_every == 0 or step == a.steps:
            save(step)
            last_saved = step
    if last_saved != state["step"] and state["step"] > 0:
        save(state["step"])
    if a.check_ranks:
        check_ranks(world, pair)
    world.close()


def check_ranks(world, pair):
    """Every process's parameters against rank 0's, exactly (DDP keeps them equal or it is broken)."""
    mine = torch.cat([p.detach().reshape(-1).double() for p in pair.parameters()])
    theirs = mine.clone()
    if world.size > 1:
        dist.broadcast(theirs, 0)
    differ = world.all_reduce(torch.tensor([float((mine != theirs).sum())], device=mine.device))
    if float(differ) > 0:
        sys.exit(f"train.py: the processes' models differ in {int(differ)} values")
    if world.rank == 0:
        print(f"train.py: all {world.size} processes hold identical weights ({mine.numel()} values)", flush=True)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _round(v):
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53):
        return int(v)
    return float(f"{v:.6g}")
