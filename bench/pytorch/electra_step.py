"""ELECTRA's objective and optimizer as google-research/electra defines them, for the PyTorch peer.

loss = 1 x MLM (generator, at the masked slots) + 50 x RTD (sigmoid cross-entropy over real tokens);
the generator's Gumbel-max samples at T = 1 corrupt the discriminator's input, with no gradient through
them, and a position counts as replaced only where the sample differs from the original token. AdamW
has no bias correction and decoupled weight decay, after a global gradient-norm clip.
"""
import numpy as np
import torch
import torch.nn.functional as F


def mlm_loss(generator, ids, types, attention_mask, flat_positions, labels, weights):
    logits = generator(ids, types, attention_mask, flat_positions)
    nll = F.cross_entropy(logits, labels, reduction="none")
    return (nll * weights).sum() / (weights.sum() + 1e-6), logits


def rtd_loss(discriminator, ids, types, attention_mask, replaced, weights):
    logits = discriminator(ids, types, attention_mask)
    per_token = F.binary_cross_entropy_with_logits(logits, replaced, reduction="none")
    return (per_token * weights).sum() / (weights.sum() + 1e-6), logits


@torch.no_grad()
def gumbel_sample(logits, temperature=1.0):
    """argmax(logits / T + g), g = -log(-log u): a draw from softmax(logits / T)."""
    u = torch.rand_like(logits)
    return torch.argmax(logits / temperature - torch.log(-torch.log(u)), dim=-1)


def mask_batch(ids, attention_mask, rng, mask_prob=0.15, mask_token_prob=0.85, mask_id=4, special_below=5):
    """The engine's dynamic masking (masking.ts): per row max(1, round(n * 0.15)) of the non-special real
    tokens, capped at int((0.15 + 0.005) * L) slots; each chosen one is [MASK] with probability 0.85."""
    B, L = ids.shape
    P = max(1, int((mask_prob + 0.005) * L))
    masked = ids.copy()
    flat = np.zeros(B * P, np.int64)
    labels = np.zeros(B * P, np.int64)
    weights = np.zeros(B * P, np.float32)
    for b in range(B):
        candidates = np.nonzero((attention_mask[b] > 0) & (ids[b] >= special_below))[0]
        count = min(P, len(candidates), max(1, round(len(candidates) * mask_prob)))
        chosen = np.sort(rng.choice(candidates, count, replace=False))
        slots = slice(b * P, b * P + count)
        flat[slots] = b * L + chosen
        labels[slots] = ids[b, chosen]
        weights[slots] = 1
        to_mask = chosen[rng.random(count) < mask_token_prob]
        masked[b, to_mask] = mask_id
    return masked, flat, labels, weights


def corrupt(masked_ids, flat, labels, weights, samples):
    """The masked input with the samples written in, and 1 where a sample differs from the original."""
    corrupted = masked_ids.reshape(-1).clone()
    replaced = torch.zeros(corrupted.shape[0])
    used = weights > 0
    corrupted[flat[used]] = samples[used]
    replaced[flat[used]] = (samples[used] != labels[used]).float()
    return corrupted.view_as(masked_ids), replaced.view_as(masked_ids)


class AdamW:
    """google-research/electra's AdamWeightDecayOptimizer over multi-tensor (_foreach) ops."""

    def __init__(self, named_params, lr=1e-4, weight_decay=0.01, betas=(0.9, 0.999), eps=1e-6, clip=1.0):
        seen, self.decayed, self.plain = set(), [], []
        for name, p in named_params:
            if id(p) in seen:
                continue  # a tied table appears under both networks: one parameter, one update
            seen.add(id(p))
            # No weight decay on LayerNorm or biases.
            (self.plain if name.endswith(".bias") or "LayerNorm" in name else self.decayed).append(p)
        self.params = self.decayed + self.plain
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.lr, self.wd, self.b1, self.b2, self.eps, self.clip = lr, weight_decay, betas[0], betas[1], eps, clip

    @torch.no_grad()
    def step(self):
        params = [p for p in self.params if p.grad is not None]
        index = {id(p): i for i, p in enumerate(self.params)}
        grads = [p.grad for p in params]
        m = [self.m[index[id(p)]] for p in params]
        v = [self.v[index[id(p)]] for p in params]
        norm = torch.sqrt(sum(torch.sum(g * g) for g in grads))
        # Scale by clip / max(norm, clip), as tf.clip_by_global_norm (and the engine) do.
        torch._foreach_mul_(grads, (self.clip / torch.clamp(norm, min=self.clip)).item())
        torch._foreach_mul_(m, self.b1)
        torch._foreach_add_(m, grads, alpha=1 - self.b1)
        torch._foreach_mul_(v, self.b2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.b2)
        update = torch._foreach_div(m, torch._foreach_add(torch._foreach_sqrt(v), self.eps))  # no bias correction
        decayed = {id(p) for p in self.decayed}
        for p, u in zip(params, update):
            if id(p) in decayed:
                u.add_(p, alpha=self.wd)  # decoupled weight decay, applied with the learning rate
        torch._foreach_add_(params, update, alpha=-self.lr)
        for p in params:
            p.grad = None
        return norm.item()


def train_step(generator, discriminator, optimizer, ids, types, attention_mask, rng, disc_weight=50.0):
    """One full step: masking, generator MLM, sampling, discriminator RTD, one backward, AdamW."""
    masked, flat, labels, weights = mask_batch(ids.numpy(), attention_mask.numpy(), rng)
    masked, flat, labels, weights = (torch.from_numpy(masked), torch.from_numpy(flat),
                                     torch.from_numpy(labels), torch.from_numpy(weights))
    mlm, gen_logits = mlm_loss(generator, masked, types, attention_mask, flat, labels, weights)
    samples = gumbel_sample(gen_logits.detach())
    corrupted, replaced = corrupt(masked, flat, labels, weights, samples)
    rtd, _ = rtd_loss(discriminator, corrupted, types, attention_mask, replaced, attention_mask)
    (mlm + disc_weight * rtd).backward()
    optimizer.step()
    return mlm.item(), rtd.item()
