"""metrics.jsonl's pretraining figures (src/engine/pretrain/metrics.ts, eval/binary-metrics.ts), summed per
process and all-reduced at each log. AUC comes from per-class histograms of P(replaced) (4096 bins), so the
processes exchange a fixed-size vector instead of every token's score."""
import torch

BINS = 4096


class Interval:
    def __init__(self, device):
        self.device = device
        self.sums = torch.zeros(10, dtype=torch.float64, device=device)
        self.hist = torch.zeros(2, BINS, dtype=torch.float64, device=device)

    def add_step(self, loss, mlm, rtd):
        self.sums[0] += 1
        self.sums[1] += loss
        self.sums[2] += mlm
        self.sums[3] += rtd

    @torch.no_grad()
    def add_rows(self, predictions, samples, labels, weights, disc_logits, replaced, token_weights):
        used = weights > 0
        self.sums[4] += used.sum()
        self.sums[5] += (predictions[used] == labels[used]).sum()
        self.sums[6] += (samples[used] == labels[used]).sum()
        counted = token_weights.reshape(-1) > 0
        p = torch.sigmoid(disc_logits.reshape(-1)[counted].double())
        actual = replaced.reshape(-1)[counted] > 0.5
        predicted = p > 0.5
        self.sums[7] += (predicted & actual).sum()  # tp
        self.sums[8] += (predicted & ~actual).sum()  # fp
        self.sums[9] += (~predicted & actual).sum()  # fn
        self.hist[1] += torch.bincount((p[actual] * BINS).long().clamp(max=BINS - 1), minlength=BINS).double()
        self.hist[0] += torch.bincount((p[~actual] * BINS).long().clamp(max=BINS - 1), minlength=BINS).double()

    def result(self, all_reduce):
        """The interval's metrics over every process (`all_reduce` sums a tensor in place across them)."""
        sums, hist = self.sums.clone(), self.hist.clone()
        all_reduce(hist)
        s = sums.tolist()
        steps = max(1.0, s[0])
        slots = max(1.0, s[4])
        tp, fp, fn = s[7], s[8], s[9]
        n = max(1.0, float(hist.sum()))
        tn = n - tp - fp - fn
        precision = tp / (tp + fp) if tp + fp > 0 else 0.0
        recall = tp / (tp + fn) if tp + fn > 0 else 0.0
        return {
            "loss": s[1] / steps, "masked_lm_loss": s[2] / steps, "masked_lm_accuracy": s[5] / slots,
            "sampled_masked_lm_accuracy": s[6] / slots, "disc_loss": s[3] / steps,
            "disc_accuracy": (tp + tn) / n, "disc_precision": precision, "disc_recall": recall,
            "disc_f1": 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0,
            "disc_auc": histogram_auc(hist[1], hist[0]), "replaced_fraction": (tp + fn) / n,
        }


def histogram_auc(pos, neg):
    """P(score of a replaced token > an original one), ties (same bin) counting one half."""
    p_total, n_total = float(pos.sum()), float(neg.sum())
    if p_total == 0 or n_total == 0:
        return 0.5
    below = torch.cumsum(neg, 0) - neg
    return float((pos * (below + 0.5 * neg)).sum()) / (p_total * n_total)


def step_flops(disc, gen, batch, length, slots):
    """The engine's electraStepFlops (pretrain/flops.ts): ~3x the forward FLOPs of both encoders and heads."""
    def encoder(c):
        H, I, E = c["hidden_size"], c["intermediate_size"], c["embedding_size"]
        dense = 2 * (4 * H * H + 2 * H * I) * c["num_hidden_layers"] + (2 * E * H if E != H else 0)
        return length * (dense + 2 * 2 * length * H * c["num_hidden_layers"])
    mlm_head = slots / batch * 2 * (gen["hidden_size"] * gen["embedding_size"] + gen["embedding_size"] * gen["vocab_size"])
    disc_head = length * 2 * (disc["hidden_size"] ** 2 + disc["hidden_size"])
    return 3 * batch * (encoder(gen) + mlm_head + encoder(disc) + disc_head)
