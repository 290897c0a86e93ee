"""The exported corpus: packed examples (the engine's packing) in shards of int32 [n, 2, L] (token ids, token
type ids; padding is [PAD], which never occurs inside a sequence). Read whole into memory per process: the
shards are what the engine's packing made, ~8 bytes a token.

The stream: epoch e is a seeded permutation of all examples; global example i is stream[i]. A step of global
batch G takes examples examples_seen .. examples_seen + G - 1, so resuming at examples_seen continues exactly.
"""
import os

import torch


class Shards:
    def __init__(self, job_dir, data):
        self.length = data["seq_length"]
        self.pad_id = data["pad_id"]
        parts = []
        for shard in data["shards"]:
            path = os.path.join(job_dir, shard["file"])
            raw = bytearray(open(path, "rb").read())
            n = shard["examples"]
            if len(raw) != n * 2 * self.length * 4:
                raise SystemExit(f"{path}: {len(raw)} bytes, expected {n} examples of 2 x {self.length} int32 — "
                                 "export the job again")
            parts.append(torch.frombuffer(raw, dtype=torch.int32).view(n, 2, self.length).long())
        if not parts:
            raise SystemExit(f"{job_dir}/job.json lists no data shards — export the job again")
        self.examples = torch.cat(parts)
        self.count = self.examples.shape[0]
        self._perm = {}

    def permutation(self, seed, epoch):
        if epoch not in self._perm:
            self._perm = {epoch: torch.randperm(self.count, generator=torch.Generator().manual_seed(seed * 7919 + epoch))}
        return self._perm[epoch]

    def rows(self, seed, start, count):
        """(ids, types, attention mask, epoch of the last row) for global stream indices start .. start + count - 1."""
        index = []
        epoch = 0
        for i in range(start, start + count):
            epoch = i // self.count
            index.append(int(self.permutation(seed, epoch)[i % self.count]))
        picked = self.examples[torch.tensor(index, dtype=torch.long)]
        ids, types = picked[:, 0], picked[:, 1]
        return ids, types, (ids != self.pad_id).float(), epoch
