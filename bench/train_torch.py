#!/usr/bin/python3
"""train_torch.py: the training command of bench_train.py written in PyTorch, as a user would.

    /usr/bin/python3 bench/train_torch.py --model lstm --train datasets/tinyshakespeare/train.txt \
        --valid datasets/tinyshakespeare/valid.txt --embed 256 --hidden 256 --seq 64 --batch 32 \
        --steps 300 --out build/bench/train/torch-lstm

It does what `lmlab rnn train` (or `lmlab mlp train`) does with the same options, the charts
and samples left out on both sides: read and tokenize the text, build the vocabulary (<s>, </s>,
<unk> first), train by AdamW (weight decay on matrices and embeddings, not biases; warmup 100
then a cosine down to --min-lr; the gradient clipped to global norm 1), score the whole valid
split once at the end, and save the weights and the optimizer's state. A recurrent model draws
B random windows of T tokens from the stream, state reset (random sampling), and scores valid
as one stream with the state carried; the MLP draws B random (context, next token) examples, a
line's first token predicted from n times <s>, and scores every token of valid.
Prints `valid_loss X` and `vocab V`; torch.set_num_threads(2).
"""
import argparse
import math
import os
import time

import regex
import torch
import torch.nn as nn
import torch.nn.functional as F

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["rnn", "lstm", "gru", "mlp"], required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--valid", required=True)
    ap.add_argument("--tokenizer", choices=["char", "word"], default="char")
    ap.add_argument("--unit", choices=["line", "stream"], default="stream")
    for name, val in (("embed", 256), ("hidden", 256), ("layers", 1), ("seq", 64),
                      ("batch", 32), ("steps", 300), ("context", 8), ("seed", 1)):
        ap.add_argument("--" + name, type=int, default=val)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--min-lr", type=float, default=1e-3)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
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
    else:
        data = torch.tensor([stoi.get(t, 2) for t in tokens(train_text, a.tokenizer)])
        vdata = torch.tensor([0] + [stoi.get(t, 2) for t in tokens(valid_text, a.tokenizer)])
        model = Recurrent(a.model, V, a.embed, a.hidden, a.layers)

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr)

    def lr_at(step):  # lmlab's cosine: warmup 100, then down to min_lr at the last step
        if step < 100:
            return a.lr * (step + 1) / 100
        frac = (step - 100) / max(1, a.steps - 1 - 100)
        return a.min_lr + 0.5 * (a.lr - a.min_lr) * (1 + math.cos(math.pi * min(1.0, frac)))

    t0 = time.perf_counter()
    for step in range(a.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        if a.model == "mlp":
            idx = torch.randint(0, len(Y), (a.batch,))
            loss = F.cross_entropy(model(X[idx]), Y[idx])
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
