"""PyTorch peer of ELECTRA Lab's engine: a reference ELECTRA-Small for loss checks and speed comparisons.

Run with Debian's /usr/bin/python3 (it has torch 1.13 over OpenBLAS). Modes, each printing one JSON object:

  check <checkpoint> <dump.json>          MLM and RTD losses, dropout off, on the engine's own batch,
                                          masking and generator samples (a like-for-like check)
  train-bench <checkpoint> --batch B      full training steps; tokens/s (median after warm-up), peak RSS
  forward-bench <checkpoint>              one 128-token discriminator window, no grad; ms per window
  document <checkpoint> <windows.json>    the heatmap's windows of one document, batches of 8; ms per token
  serve <checkpoint>                      the bench modes as JSON lines on stdin, so a caller can alternate
                                          engine and PyTorch measurements without reloading the model
"""
import argparse
import json
import os
import statistics
import sys
import time

# Before torch loads libgomp: on this shared, oversubscribed 2-core machine OpenMP's default spin-waiting
# made 2 threads 7-20x slower than 1 (a descheduled thread stalls every barrier); passive waiting
# makes 2 threads competitive. It is the stronger peer, so it is the default; set the variable to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# The model and recipe are the package the exported distributed job ships too (python/electra_lab_torch).
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from electra_lab_torch.model import load_pair  # noqa: E402
from electra_lab_torch.step import AdamW, mlm_loss, rtd_loss, train_step  # noqa: E402
import peer_runtime  # noqa: E402


def tensor(values, dtype):
    return torch.tensor(values, dtype=dtype)


def check(folder, dump_path):
    generator, discriminator, _ = load_pair(folder)
    generator.eval(), discriminator.eval()
    with open(dump_path) as f:
        d = json.load(f)
    B, L = d["batchSize"], d["length"]
    shape = lambda key, dtype: tensor(d[key], dtype).view(B, L)
    types, mask = shape("tokenTypeIds", torch.long), shape("attentionMask", torch.float32)
    flat, labels = tensor(d["flatPositions"], torch.long), tensor(d["labels"], torch.long)
    weights = tensor(d["weights"], torch.float32)
    samples = tensor(d["samples"], torch.long)
    with torch.no_grad():
        mlm, logits = mlm_loss(generator, shape("maskedIds", torch.long), types, mask, flat, labels, weights)
        # The engine's samples come from its own Gumbel noise; recomputing the corruption from them checks
        # the "replaced only where sample != original" rule against the engine's labels.
        corrupted = shape("maskedIds", torch.long).view(-1).clone()
        replaced = torch.zeros(B * L)
        used = weights > 0
        corrupted[flat[used]] = samples[used]
        replaced[flat[used]] = (samples[used] != labels[used]).float()
        rtd, _ = rtd_loss(discriminator, shape("corruptedIds", torch.long), types, mask, shape("replaced", torch.float32), mask)
        argmax = logits.argmax(-1)
    print(json.dumps({
        "mlm_loss": mlm.item(),
        "rtd_loss": rtd.item(),
        "corrupted_ids_match": bool(torch.equal(corrupted.view(B, L), shape("corruptedIds", torch.long))),
        "replaced_match": bool(torch.equal(replaced.view(B, L), shape("replaced", torch.float32))),
        # Argmax agreement over the used slots: near-ties can flip it, so a fraction rather than a yes/no.
        "generator_argmax_agreement": (argmax[used] == tensor(d["predictions"], torch.long)[used]).float().mean().item(),
    }))


def synthetic_batch(batch, length, vocab, seed=1):
    """Like bench/train-throughput.ts: [CLS] … [SEP] … [SEP], segment B after position 63, random word ids."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, vocab, size=(batch, length))
    ids[:, 0], ids[:, 63], ids[:, length - 1] = 2, 3, 3
    types = np.zeros((batch, length), np.int64)
    types[:, 64:] = 1
    return torch.from_numpy(ids), torch.from_numpy(types), torch.ones(batch, length)


class Peer:
    """The loaded pair and its optimizer, kept between requests."""

    def __init__(self, folder):
        self.generator, self.discriminator, raw = load_pair(folder)
        self.vocab = raw["vocab_size"]
        named = list(self.generator.named_parameters()) + list(self.discriminator.named_parameters())
        self.optimizer = AdamW(named)
        self.steps = 0

    def train(self, batch, steps, warmup, length=128):
        self.generator.train(), self.discriminator.train()
        ids, types, mask = synthetic_batch(batch, length, self.vocab)
        times = []
        for i in range(warmup + steps):
            start = time.perf_counter()
            self.steps += 1
            train_step(self.generator, self.discriminator, self.optimizer, ids, types, mask, 0, self.steps)
            if i >= warmup:
                times.append(time.perf_counter() - start)
        return {"tokens_per_s": batch * length / statistics.median(times), "step_s": times}

    @torch.no_grad()
    def forward(self, reps, warmup, length=128):
        self.discriminator.eval()
        ids, types, mask = synthetic_batch(1, length, self.vocab, seed=2)
        times = []
        for i in range(warmup + reps):
            start = time.perf_counter()
            self.discriminator(ids, types, mask)
            if i >= warmup:
                times.append(time.perf_counter() - start)
        return {"ms_per_window": 1000 * statistics.median(times), "ms": [1000 * t for t in times]}

    @torch.no_grad()
    def document(self, windows, tokens, batch_size=8, reps=1):
        """The windows the engine's heatmap runs for a document (same ids), in its batches of 8."""
        self.discriminator.eval()
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            for b in range(0, len(windows), batch_size):
                group = torch.tensor(windows[b:b + batch_size], dtype=torch.long)
                self.discriminator(group, torch.zeros_like(group), torch.ones(group.shape, dtype=torch.float32))
            times.append(time.perf_counter() - start)
        return {"ms_per_token": 1000 * statistics.median(times) / tokens, "s": times}


def serve(folder):
    peer = Peer(folder)
    print(json.dumps({"ready": True, **peer_runtime.describe()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        r = json.loads(line)
        blas_threads = peer_runtime.set_threads(r.get("threads", 1))
        if r["op"] == "train":
            out = peer.train(r["batch"], r.get("steps", 3), r.get("warmup", 1))
        elif r["op"] == "forward":
            out = peer.forward(r.get("reps", 20), r.get("warmup", 3))
        elif r["op"] == "document":
            with open(r["windows"]) as f:
                doc = json.load(f)
            out = peer.document(doc["windows"], doc["tokens"], doc.get("batchSize", 8), r.get("reps", 1))
        else:
            out = {"error": f"unknown op {r['op']}"}
        print(json.dumps({**out, "threads": torch.get_num_threads(), "blas_threads": blas_threads}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["check", "train-bench", "forward-bench", "document", "serve"])
    p.add_argument("checkpoint")
    p.add_argument("input", nargs="?", help="check: the engine's dump; document: the windows JSON")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts to try; the best is the peer")
    a = p.parse_args()
    if a.mode == "check":
        peer_runtime.set_threads(1)
        return check(a.checkpoint, a.input)
    if a.mode == "serve":
        return serve(a.checkpoint)
    peer = Peer(a.checkpoint)
    rows = []
    for n in [int(t) for t in a.threads.split(",")]:
        blas_threads = peer_runtime.set_threads(n)
        if a.mode == "train-bench":
            out = peer.train(a.batch, a.steps, a.warmup)
        elif a.mode == "forward-bench":
            out = peer.forward(max(a.steps, 10), a.warmup)
        else:
            with open(a.input) as f:
                doc = json.load(f)
            out = peer.document(doc["windows"], doc["tokens"], doc.get("batchSize", 8), a.steps)
        rows.append({"threads": n, "blas_threads": blas_threads, **out})
    print(json.dumps({"mode": a.mode, "batch": a.batch, "runs": rows, "peak_rss_mb": peer_runtime.peak_rss_mb(), **peer_runtime.describe()}))


if __name__ == "__main__":
    main()
