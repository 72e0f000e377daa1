#!/usr/bin/python3
"""train_torch.py: the training command of bench_train.py written in PyTorch, as a user would.

    /usr/bin/python3 bench/train_torch.py --model lstm --train datasets/tinyshakespeare/train.txt \
        --valid datasets/tinyshakespeare/valid.txt --embed 256 --hidden 256 --seq 64 --batch 32 \
        --steps 300 --out build/bench/train/torch-lstm

It does what `lmlab rnn train` (or `lmlab mlp train`, `lmlab gpt train`) does with the same
options, the charts and samples left out on both sides: read and tokenize the text, build the
vocabulary (<s>, </s>, <unk> first), train by AdamW (weight decay on matrices and embeddings,
not biases; --warmup steps then a cosine down to --min-lr, lmlab's nn_lr_at; the gradient
clipped to global norm 1), score the whole valid split once at the end, and save the weights
and the optimizer's state. A recurrent model draws B random windows of T tokens from the
stream, state reset (random sampling), and scores valid as one stream with the state carried;
the MLP draws B random (context, next token) examples, a line's first token predicted from n
times <s>, and scores every token of valid.

The GPT (--model gpt, on a stream) is nanoGPT's model.py as tests/fixtures/torch/make_gpt.py
writes it for PyTorch 1.13 (attention by hand with the causal mask; learned positions, exact
GELU, biases, the head tied to wte, nanoGPT's initialisation; no dropout), with nanoGPT's
AdamW groups (decay on the 2-D tensors only; PyTorch 1.13's AdamW has no `fused`, so
nanoGPT's configure_optimizers passes none). It trains on B random windows of --context T
tokens from the stream `<s> w1 w2 ..` (lmlab's BATCH_RANDOM: a start in [0, len - T - 1]) and
scores valid as lmlab's score_sequence (nn/lm.c) does: windows of T at a stride of S = T/2
over `<s> v1 v2 ..`, the first window counting all its predictions, each later one its last
S, so every token after the first window is predicted with at least T/2 tokens before it.
Prints `valid_loss X` and `vocab V`; torch.set_num_threads(2).
"""
import argparse
import math
import os
import sys
import time

import regex
import torch
import torch.nn as nn
import torch.nn.functional as F

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests",
                        "fixtures", "torch")

# lmlab's default word pattern (datasets/datasets.h TOK_DEFAULT_PATTERN)
WORD = (r"\p{Han}|[^\s\p{Han}\p{P}\p{S}]+(?:['\u2019][^\s\p{Han}\p{P}\p{S}]+)*"
        r"|[\p{P}\p{S}]")


def tokens(text, tokenizer):
    return list(text) if tokenizer == "char" else regex.findall(WORD, text)


class Recurrent(nn.Module):
    def __init__(self, cell, V, E, H, L):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](E, H, L)
        self.head = nn.Linear(H, V)

    def forward(self, x, state=None):  # x (T, B)
        y, state = self.rnn(self.embed(x), state)
        return self.head(y), state


class MLP(nn.Module):
    def __init__(self, V, n, E, H):
        super().__init__()
        self.wte = nn.Embedding(V, E)
        self.fc1 = nn.Linear(n * E, H)
        self.head = nn.Linear(H, V)

    def forward(self, ctx):  # ctx (B, n)
        return self.head(torch.tanh(self.fc1(self.wte(ctx).view(ctx.shape[0], -1))))


def score_windows(model, x, T, rows=256):
    """Mean -ln p of x[1:] given x[0] = <s>, read as lmlab's score_sequence reads a stream:
    window w reads x[w S .. w S + T) (S = T/2) and counts its predictions from 0 (w = 0) or
    T - S on; the last window is the one that reaches the end of x."""
    n, S = len(x) - 1, max(1, T // 2)
    starts, at = [0], 0
    while at + T < n:
        at += S
        starts.append(at)
    total = 0.0
    full = [s for s in starts if s + T <= n]  # windows of T predictions, batched
    for i in range(0, len(full), rows):
        idx = torch.tensor(full[i:i + rows])[:, None] + torch.arange(T)[None, :]
        logits, _ = model(x[idx])
        lp = F.log_softmax(logits, dim=-1).gather(2, x[idx + 1][..., None])[..., 0]
        total += lp[:, T - S:].sum().item()
        if i == 0:
            total += lp[0, :T - S].sum().item()  # the first window counts all it predicts
    for s in starts[len(full):]:  # the last window, shorter than T: it reads to the end
        logits, _ = model(x[None, s:n])
        lp = F.log_softmax(logits[0], dim=-1).gather(1, x[s + 1:n + 1, None])[:, 0]
        total += lp[0 if s == 0 else T - S:].sum().item()
    return -total / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["rnn", "lstm", "gru", "mlp", "gpt"], required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--valid", required=True)
    ap.add_argument("--tokenizer", choices=["char", "word"], default="char")
    ap.add_argument("--unit", choices=["line", "stream"], default="stream")
    # --context: the MLP's n, the GPT's T; --heads and --width: the GPT's NH and C
    for name, val in (("embed", 256), ("hidden", 256), ("layers", 1), ("seq", 64),
                      ("batch", 32), ("steps", 300), ("context", 8), ("seed", 1),
                      ("heads", 4), ("width", 128), ("warmup", 100)):
        ap.add_argument("--" + name, type=int, default=val)
    # lmlab's trainer defaults (nn/train.c train_parse)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--min-lr", type=float, default=1e-3)
    ap.add_argument("--beta2", type=float, default=0.999)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.dropout != 0:
        ap.error("--dropout %g: the models here have no dropout (0 only)" % a.dropout)
    if a.model == "gpt" and a.unit != "stream":
        ap.error("--model gpt: --unit stream only (random windows of the stream)")
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)

    with open(a.train, encoding="utf-8") as f:
        train_text = f.read()
    with open(a.valid, encoding="utf-8") as f:
        valid_text = f.read()
    itos = ["<s>", "</s>", "<unk>"] + sorted(set(tokens(train_text, a.tokenizer)))
    stoi = {s: i for i, s in enumerate(itos)}
    V = len(itos)

    def encode_lines(text):
        return [[stoi.get(t, 2) for t in tokens(line, a.tokenizer)] + [1]
                for line in text.splitlines()]

    if a.model == "mlp":
        n = a.context

        def examples(text):
            ctx, tgt = [], []
            for ids in encode_lines(text):
                window = [0] * n
                for t in ids:
                    ctx.append(window)
                    tgt.append(t)
                    window = window[1:] + [t]
            return torch.tensor(ctx), torch.tensor(tgt)

        X, Y = examples(train_text)
        VX, VY = examples(valid_text)
        model = MLP(V, n, a.embed, a.hidden)
    elif a.model == "gpt":
        sys.path.insert(0, FIXTURES)
        from make_gpt import GPT, GPTConfig
        T = a.context
        # the streams as lmlab's batcher and scorer read them: <s> first
        data = torch.tensor([0] + [stoi.get(t, 2) for t in tokens(train_text, a.tokenizer)])
        vdata = torch.tensor([0] + [stoi.get(t, 2) for t in tokens(valid_text, a.tokenizer)])
        model = GPT(GPTConfig(block_size=T, vocab_size=V, n_layer=a.layers, n_head=a.heads,
                              n_embd=a.width, dropout=0.0, bias=True))
    else:
        data = torch.tensor([stoi.get(t, 2) for t in tokens(train_text, a.tokenizer)])
        vdata = torch.tensor([0] + [stoi.get(t, 2) for t in tokens(valid_text, a.tokenizer)])
        model = Recurrent(a.model, V, a.embed, a.hidden, a.layers)

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr,
                            betas=(0.9, a.beta2))

    def lr_at(step):  # lmlab's nn_lr_at: linear warmup, then a cosine towards min_lr at --steps
        if step < a.warmup:
            return a.lr * (step + 1) / a.warmup
        frac = (step - a.warmup) / max(1, a.steps - a.warmup)
        return a.min_lr + 0.5 * (a.lr - a.min_lr) * (1 + math.cos(math.pi * min(1.0, frac)))

    t0 = time.perf_counter()
    for step in range(a.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        if a.model == "mlp":
            idx = torch.randint(0, len(Y), (a.batch,))
            loss = F.cross_entropy(model(X[idx]), Y[idx])
        elif a.model == "gpt":
            off = torch.randint(0, len(data) - T, (a.batch,)).tolist()
            x = torch.stack([data[o:o + T] for o in off])
            y = torch.stack([data[o + 1:o + T + 1] for o in off])
            _, loss = model(x, y)
        else:
            off = torch.randint(0, len(data) - a.seq - 1, (a.batch,))
            win = torch.stack([data[o:o + a.seq + 1] for o in off.tolist()], dim=1)
            logits, _ = model(win[:-1])
            loss = F.cross_entropy(logits.reshape(-1, V), win[1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    train_s = time.perf_counter() - t0

    with torch.no_grad():
        if a.model == "mlp":
            vloss = F.cross_entropy(model(VX), VY).item()
        elif a.model == "gpt":
            vloss = score_windows(model, vdata, T)
        else:
            total, state, count = 0.0, None, 0
            for i in range(0, len(vdata) - 1, 1024):
                chunk = vdata[i:i + 1025]
                logits, state = model(chunk[:-1].view(-1, 1), state)
                total += F.cross_entropy(logits.view(-1, V), chunk[1:], reduction="sum").item()
                count += len(chunk) - 1
            vloss = total / count
    os.makedirs(a.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(a.out, "model.pt"))
    torch.save(opt.state_dict(), os.path.join(a.out, "state.pt"))
    print("vocab %d" % V)
    print("train_s %.3f" % train_s)
    print("valid_loss %.4f" % vloss)


if __name__ == "__main__":
    main()
