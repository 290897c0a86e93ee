"""ELECTRA (Clark et al. 2020; google-research/electra) in plain PyTorch, with Hugging Face state-dict names.

Written from the recipe, not from the engine's code, so the loss check compares two implementations:
embeddings (word + position + type) -> LayerNorm -> dropout -> embeddings_project (when E != H) ->
post-LayerNorm BERT layers (padding bias -10000) -> head. The discriminator head is dense -> GELU(erf)
-> dense_prediction; the generator head is dense -> GELU -> LayerNorm -> tied word embeddings + bias,
computed only at the masked positions.
"""
import json
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

from .safetensors_io import read_safetensors


class Embeddings(nn.Module):
    def __init__(self, c, shared=None):
        super().__init__()
        E = c["embedding_size"]
        # `tied` sharing: the generator and the discriminator use the same three tables (one Parameter each),
        # and the same embedding LayerNorm when the checkpoint says tied_layer_norm (the reference's rule).
        if shared is None:
            shared = (nn.Embedding(c["vocab_size"], E), nn.Embedding(c["max_position_embeddings"], E),
                      nn.Embedding(c["type_vocab_size"], E))
        self.word_embeddings, self.position_embeddings, self.token_type_embeddings = shared[:3]
        self.LayerNorm = shared[3] if len(shared) > 3 else nn.LayerNorm(E, eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, ids, types):
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(positions)[None] + self.token_type_embeddings(types)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def forward(self, x, mask_bias):
        B, L, H = x.shape
        d = H // self.heads
        split = lambda t: t.view(B, L, self.heads, d).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + mask_bias
        probs = self.dropout(torch.softmax(scores, dim=-1))
        return torch.matmul(probs, v).transpose(1, 2).reshape(B, L, H)


class SelfOutput(nn.Module):
    def __init__(self, c, width_in):
        super().__init__()
        H = c["hidden_size"]
        self.dense = nn.Linear(width_in, H)
        self.LayerNorm = nn.LayerNorm(H, eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = SelfOutput(c, c["hidden_size"])

    def forward(self, x, mask_bias):
        return self.output(self.self(x, mask_bias), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # erf GELU, HF's "gelu"


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = SelfOutput(c, c["intermediate_size"])

    def forward(self, x, mask_bias):
        a = self.attention(x, mask_bias)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, mask_bias):
        for layer in self.layer:
            x = layer(x, mask_bias)
        return x


class ElectraBody(nn.Module):
    """HF's ElectraModel: the `electra.` prefix of every key."""

    def __init__(self, c, shared=None):
        super().__init__()
        self.embeddings = Embeddings(c, shared)
        if c["embedding_size"] != c["hidden_size"]:
            self.embeddings_project = nn.Linear(c["embedding_size"], c["hidden_size"])
        self.encoder = Encoder(c)

    def forward(self, ids, types, attention_mask):
        x = self.embeddings(ids, types)
        if hasattr(self, "embeddings_project"):
            x = self.embeddings_project(x)
        # google-research/electra's padding bias: (1 - mask) * -10000, broadcast over heads and queries.
        mask_bias = ((1.0 - attention_mask) * -10000.0)[:, None, None, :]
        return self.encoder(x, mask_bias)


class DiscriminatorHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.dense_prediction = nn.Linear(c["hidden_size"], 1)

    def forward(self, h):
        return self.dense_prediction(F.gelu(self.dense(h))).squeeze(-1)


class GeneratorHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["embedding_size"])
        self.LayerNorm = nn.LayerNorm(c["embedding_size"], eps=c["layer_norm_eps"])

    def forward(self, h):
        return self.LayerNorm(F.gelu(self.dense(h)))


class ElectraForPreTraining(nn.Module):
    def __init__(self, c, shared=None):
        super().__init__()
        self.electra = ElectraBody(c, shared)
        self.discriminator_predictions = DiscriminatorHead(c)

    def forward(self, ids, types, attention_mask):
        """[B, L] replaced-token logits."""
        return self.discriminator_predictions(self.electra(ids, types, attention_mask))


class LmHeadBias(nn.Module):
    """generator_lm_head: its weight is the (tied) word embedding table; only the bias is its own."""

    def __init__(self, vocab):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(vocab))


class ElectraForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.electra = ElectraBody(c)
        self.generator_predictions = GeneratorHead(c)
        self.generator_lm_head = LmHeadBias(c["vocab_size"])

    def forward(self, ids, types, attention_mask, flat_positions):
        """[slots, V] vocabulary logits at the given rows of the flattened [B*L, H] hidden states only."""
        hidden = self.electra(ids, types, attention_mask)
        rows = hidden.reshape(-1, hidden.shape[-1]).index_select(0, flat_positions)
        h = self.generator_predictions(rows)
        return F.linear(h, self.electra.embeddings.word_embeddings.weight, self.generator_lm_head.bias)


def shared_tables(generator, layer_norm):
    e = generator.electra.embeddings
    return (e.word_embeddings, e.position_embeddings, e.token_type_embeddings) + ((e.LayerNorm,) if layer_norm else ())


ELECTRA_KEYS = ["vocab_size", "embedding_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                "intermediate_size", "hidden_dropout_prob", "attention_probs_dropout_prob",
                "max_position_embeddings", "type_vocab_size", "layer_norm_eps"]


def build_pair(raw, dropout=None):
    """A fresh (generator, discriminator) from a checkpoint's config.json dict; `dropout` overrides both rates."""
    lab = raw.get("electra_lab", {})
    sharing = lab.get("embedding_sharing", "tied")
    if sharing not in ("tied", "none"):
        raise SystemExit(f"embedding sharing {sharing!r} is not implemented in PyTorch (use tied or none)")
    if lab.get("objective", "electra") not in ("electra", "electra-15"):
        raise SystemExit(f"objective {lab.get('objective')!r} is not implemented in PyTorch (use electra)")
    disc_cfg = {k: raw[k] for k in ELECTRA_KEYS}
    gen_cfg = {k: lab["generator"][k] for k in ELECTRA_KEYS}
    if dropout is not None:
        for c in (disc_cfg, gen_cfg):
            c["hidden_dropout_prob"] = c["attention_probs_dropout_prob"] = dropout
    generator = ElectraForMaskedLM(gen_cfg)
    discriminator = ElectraForPreTraining(disc_cfg, shared_tables(generator, lab.get("tied_layer_norm") is True) if sharing == "tied" else None)
    return generator, discriminator


def load_pair(folder, dropout=None):
    """(generator, discriminator, config.json) from an engine checkpoint folder; `tied` shares the tables."""
    with open(os.path.join(folder, "config.json")) as f:
        raw = json.load(f)
    generator, discriminator = build_pair(raw, dropout)
    load_state(generator, read_safetensors(os.path.join(folder, "generator.safetensors")), "generator.safetensors")
    load_state(discriminator, read_safetensors(os.path.join(folder, "model.safetensors")), "model.safetensors")
    return generator, discriminator, raw


def load_state(module, tensors, file):
    own = module.state_dict()
    missing = sorted(set(own) - set(tensors))
    extra = sorted(set(tensors) - set(own) - {"generator_lm_head.weight"})
    if missing or extra:
        raise SystemExit(f"{file}: keys differ from the peer's model: missing {missing[:5]}, unexpected {extra[:5]}")
    with torch.no_grad():
        for name, value in own.items():
            if tuple(value.shape) != tuple(tensors[name].shape):
                raise SystemExit(f"{file}: {name} is {list(tensors[name].shape)}, the peer expects {list(value.shape)}")
            value.copy_(tensors[name])
