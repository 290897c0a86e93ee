"""The PyTorch side of the cross-implementation test (test/distributed-job.test.ts): on an engine checkpoint
and the engine's own batch, masking and generator samples (dropout off), the losses and every parameter's
gradient of loss = MLM + 50 x RTD, the gradients written under the engine's variable names.

  python3 -m electra_lab_torch.crosscheck <checkpoint> <dump.json> <grads.safetensors>   → JSON losses on stdout
"""
import json
import sys

import torch

from .model import load_pair
from .safetensors_io import write_safetensors
from .step import corrupt, engine_names, mlm_loss, rtd_loss


def main(folder, dump_path, grads_path):
    generator, discriminator, _ = load_pair(folder, dropout=0.0)
    with open(dump_path) as f:
        d = json.load(f)
    B, L = d["batchSize"], d["length"]
    grid = lambda key, dtype: torch.tensor(d[key], dtype=dtype).view(B, L)
    types, mask = grid("tokenTypeIds", torch.long), grid("attentionMask", torch.float32)
    masked = grid("maskedIds", torch.long)
    flat, labels = torch.tensor(d["flatPositions"]), torch.tensor(d["labels"])
    weights, samples = torch.tensor(d["weights"], dtype=torch.float32), torch.tensor(d["samples"])
    mlm, _ = mlm_loss(generator, masked, types, mask, flat, labels, weights)
    corrupted, replaced = corrupt(masked, flat, labels, weights, samples)
    rtd, _ = rtd_loss(discriminator, corrupted, types, mask, replaced, mask)
    (mlm + d["discriminatorWeight"] * rtd).backward()
    write_safetensors(grads_path, {name: p.grad for name, p in engine_names(generator, discriminator)})
    print(json.dumps({"mlm_loss": mlm.item(), "rtd_loss": rtd.item(),
                      "corrupted_match": bool(torch.equal(corrupted, grid("corruptedIds", torch.long))),
                      "replaced_match": bool(torch.equal(replaced, grid("replaced", torch.float32)))}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
