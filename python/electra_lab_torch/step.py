"""ELECTRA's objective and optimizer as google-research/electra defines them (and the engine implements).

loss = 1 x MLM (generator, at the masked slots) + 50 x RTD (sigmoid cross-entropy over real tokens);
the generator's Gumbel-max samples at T = 1 corrupt the discriminator's input, with no gradient through
them, and a position counts as replaced only where the sample differs from the original token. AdamW
has no bias correction and decoupled weight decay, after a global gradient-norm clip.

Randomness is drawn per *global row* of a step (row_generator), so a row is masked and sampled the same
whether it is trained by one process or by one of several, in one micro-batch or another.
"""
import math

import torch
import torch.nn.functional as F


def mlm_sums(generator, ids, types, attention_mask, flat_positions, labels, weights):
    """(sum of the weighted slot NLLs, logits at the slots)."""
    logits = generator(ids, types, attention_mask, flat_positions)
    nll = F.cross_entropy(logits.float(), labels, reduction="none")
    return (nll * weights).sum(), logits


def rtd_sums(discriminator, ids, types, attention_mask, replaced, weights):
    logits = discriminator(ids, types, attention_mask).float()
    per_token = F.binary_cross_entropy_with_logits(logits, replaced, reduction="none")
    return (per_token * weights).sum(), logits


def mlm_loss(generator, ids, types, attention_mask, flat_positions, labels, weights):
    total, logits = mlm_sums(generator, ids, types, attention_mask, flat_positions, labels, weights)
    return total / (weights.sum() + 1e-6), logits


def rtd_loss(discriminator, ids, types, attention_mask, replaced, weights):
    total, logits = rtd_sums(discriminator, ids, types, attention_mask, replaced, weights)
    return total / (weights.sum() + 1e-6), logits


def row_generator(seed, step, row):
    """The noise of one global row of one step: independent of rank, micro-batch and world size."""
    g = torch.Generator()
    g.manual_seed((seed * 1_000_003 + step) * 1_000_033 + row)
    return g


def max_predictions(length, mask_prob=0.15):
    return max(1, int((mask_prob + 0.005) * length))


def round_half_up(x):
    """JavaScript's Math.round (the engine's): halves go up, where Python's round goes to even."""
    return math.floor(x + 0.5)


def mask_batch(ids, attention_mask, gens, mask_id, special_ids, mask_prob=0.15, mask_token_prob=0.85,
               rule="electra", unk_id=None):
    """The engine's dynamic masking (masking.ts). Rule `electra` (google-research/electra's): per row
    max(1, min(P, round(0.15 * real tokens incl. [CLS]/[SEP]))) draws with replacement among the non-special
    real tokens ([UNK] is one), every draw a prediction slot, a position [MASK] when any of its draws says so
    (probability 0.85 each). Rule `distinct`: round(0.15 * candidates) distinct candidates, [UNK] excluded.
    P = int((0.15 + 0.005) * L). CPU tensors in, CPU tensors out; `gens` holds one generator per row."""
    B, L = ids.shape
    P = max_predictions(L, mask_prob)
    masked = ids.clone()
    flat = torch.zeros(B * P, dtype=torch.long)
    labels = torch.zeros(B * P, dtype=torch.long)
    weights = torch.zeros(B * P)
    special = torch.zeros(max(int(ids.max()), *special_ids) + 1, dtype=torch.bool)
    special[list(special_ids)] = True
    if rule == "electra" and unk_id is not None:
        special[unk_id] = False
    for b in range(B):
        real = attention_mask[b] > 0
        candidates = torch.nonzero(real & ~special[ids[b]]).flatten()
        n = candidates.numel()
        if n == 0:
            continue
        if rule == "electra":
            count = max(1, min(P, round_half_up(int(real.sum()) * mask_prob)))
            chosen = torch.sort(candidates[torch.randint(n, (count,), generator=gens[b])]).values
        else:
            count = min(P, n, max(1, round_half_up(n * mask_prob)))
            chosen = torch.sort(candidates[torch.randperm(n, generator=gens[b])[:count]]).values
        flat[b * P:b * P + count] = b * L + chosen
        labels[b * P:b * P + count] = ids[b, chosen]
        weights[b * P:b * P + count] = 1
        to_mask = chosen[torch.rand(count, generator=gens[b]) < mask_token_prob]
        masked[b, to_mask] = mask_id
    return masked, flat, labels, weights


@torch.no_grad()
def gumbel_sample(logits, gens=None, temperature=1.0):
    """argmax(logits / T + g), g = -log(-log u): a draw from softmax(logits / T). With `gens`, the rows of
    `logits` are split evenly between them (one generator per batch row, its slots' draws)."""
    if gens is None:
        u = torch.rand_like(logits, dtype=torch.float32)
    else:
        per = logits.shape[0] // len(gens)
        u = torch.cat([torch.rand(per, logits.shape[1], generator=g) for g in gens]).to(logits.device)
    return torch.argmax(logits.float() / temperature - torch.log(-torch.log(u)), dim=-1)


def corrupt(masked_ids, flat, labels, weights, samples):
    """The masked input with the samples written in, and 1 where a sample differs from the original. A position
    drawn twice takes its first slot's sample, as the engine's corruptWithSamples."""
    corrupted = masked_ids.reshape(-1).clone()
    replaced = torch.zeros(corrupted.shape[0], device=masked_ids.device)
    used = weights > 0
    seen = set()
    for s, (position, live) in enumerate(zip(flat.tolist(), used.tolist())):
        if live and position in seen:
            used[s] = False
        elif live:
            seen.add(position)
    corrupted[flat[used]] = samples[used]
    replaced[flat[used]] = (samples[used] != labels[used]).float()
    return corrupted.view_as(masked_ids), replaced.view_as(masked_ids)


def engine_names(generator, discriminator):
    """[(engine variable name, parameter)] as the engine's namedVariables(): generator/<key> first, then
    discriminator/<key> for what is not shared (a tied table is one variable under the generator's name)."""
    named, seen = [], set()
    for prefix, module in (("generator", generator), ("discriminator", discriminator)):
        for key, p in module.named_parameters():
            if id(p) in seen:
                continue
            seen.add(id(p))
            named.append((f"{prefix}/{key}", p))
    return named


def is_decayed(name):
    """No weight decay on LayerNorm or biases (the engine's isDecayed)."""
    key = name.split("/", 1)[-1]
    return not (key.endswith(".bias") or "LayerNorm" in key)


class AdamW:
    """google-research/electra's AdamWeightDecayOptimizer over multi-tensor (_foreach) ops. The moments are
    kept under the engine's names (m/<name>, v/<name>), so optimizer.safetensors moves between engines."""

    def __init__(self, named_params, lr=1e-4, weight_decay=0.01, betas=(0.9, 0.999), eps=1e-6, clip=1.0):
        seen, self.names, self.params = set(), [], []
        for name, p in named_params:
            if id(p) in seen:
                continue  # a tied table appears under both networks: one parameter, one update
            seen.add(id(p))
            self.names.append(name)
            self.params.append(p)
        self.decayed = {id(p) for n, p in zip(self.names, self.params) if is_decayed(n)}
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.lr, self.wd, self.b1, self.b2, self.eps, self.clip = lr, weight_decay, betas[0], betas[1], eps, clip

    @torch.no_grad()
    def grad_norm(self):
        grads = [p.grad for p in self.params if p.grad is not None]
        return torch.sqrt(sum(torch.sum(g.float() * g.float()) for g in grads))

    @torch.no_grad()
    def step(self, lr=None):
        lr = self.lr if lr is None else lr
        index = [i for i, p in enumerate(self.params) if p.grad is not None]
        params = [self.params[i] for i in index]
        grads = [p.grad for p in params]
        m = [self.m[i] for i in index]
        v = [self.v[i] for i in index]
        norm = self.grad_norm()
        # Scale by clip / max(norm, clip), as tf.clip_by_global_norm (and the engine) do.
        torch._foreach_mul_(grads, (self.clip / torch.clamp(norm, min=self.clip)).item())
        torch._foreach_mul_(m, self.b1)
        torch._foreach_add_(m, grads, alpha=1 - self.b1)
        torch._foreach_mul_(v, self.b2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.b2)
        update = torch._foreach_div(m, torch._foreach_add(torch._foreach_sqrt(v), self.eps))  # no bias correction
        for p, u in zip(params, update):
            if id(p) in self.decayed and self.wd > 0:
                u.add_(p, alpha=self.wd)  # decoupled weight decay, applied with the learning rate
        torch._foreach_add_(params, update, alpha=-lr)
        for p in params:
            p.grad = None
        return norm.item()

    def state_tensors(self):
        out = {}
        for name, m, v in zip(self.names, self.m, self.v):
            out[f"m/{name}"], out[f"v/{name}"] = m, v
        return out

    def load_state_tensors(self, tensors, file):
        for name, m, v in zip(self.names, self.m, self.v):
            for kind, dest in (("m", m), ("v", v)):
                saved = tensors.get(f"{kind}/{name}")
                if saved is None or saved.numel() != dest.numel():
                    raise SystemExit(f"{file}: optimizer state for {name} is missing or misshaped — delete the "
                                     "checkpoint's optimizer.safetensors to restart the optimizer")
                dest.copy_(saved.view_as(dest))


def learning_rate_at(global_step, peak, warmup, total):
    """google-research/electra's schedule, as the engine's learningRateAt: linear decay of the peak to 0 over
    `total`, times min(1, global_step / warmup); global_step counts the updates already applied (the first has 0)."""
    decayed = peak * max(0.0, 1 - min(global_step, total) / max(1, total))
    return decayed * min(1.0, global_step / warmup) if warmup > 0 else decayed


def train_step(generator, discriminator, optimizer, ids, types, attention_mask, seed, step,
               mask_id=4, special_ids=(0, 1, 2, 3, 4), disc_weight=50.0):
    """One full single-process step: masking, generator MLM, sampling, discriminator RTD, one backward, AdamW."""
    gens = [row_generator(seed, step, r) for r in range(ids.shape[0])]
    masked, flat, labels, weights = mask_batch(ids, attention_mask, gens, mask_id, special_ids)
    mlm, gen_logits = mlm_loss(generator, masked, types, attention_mask, flat, labels, weights)
    samples = gumbel_sample(gen_logits.detach(), gens)
    corrupted, replaced = corrupt(masked, flat, labels, weights, samples)
    rtd, _ = rtd_loss(discriminator, corrupted, types, attention_mask, replaced, attention_mask)
    (mlm + disc_weight * rtd).backward()
    optimizer.step()
    return mlm.item(), rtd.item()
