"""CharGpt in PyTorch: the model and training of org.grad4j.examples.CharGpt, for comparison only.

Same text (Debian's KJV through its reader `bible`, or --data FILE, or the embedded Genesis), same
vocabulary and 90/10 split, same fixed evaluation windows, same model and parameter names (nanoGPT's),
same initialisation scheme, AdamW groups, warm-up + cosine schedule and clipping. Only the random
draws differ (the training windows and the initial weights come from torch's generator).

    python docs/reference/chargpt.py [--steps 500 ...]          # train, print the same lines
    python docs/reference/chargpt.py --check target/chargpt/chargpt.safetensors
        # load Grad4j's checkpoint with load_state_dict(strict=True); recompute its validation loss
        # and print the logits of the prompt, to compare with Grad4j's

Not a dependency of the project: needs torch and safetensors.
"""

import argparse
import math
import os
import re
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
GENESIS = os.path.join(HERE, "..", "..", "examples", "src", "main", "resources", "org", "grad4j", "examples",
                       "kjv-sample", "genesis.txt")
KJV_DATA = "/usr/lib/bible.data"


def load_text(data):
    if data == KJV_DATA and os.path.exists(KJV_DATA) and os.path.exists("/usr/bin/bible"):
        out = subprocess.run(["/usr/bin/bible", "-f", "-p", "/usr/lib", "-d", "bible.data", "Gen1:1-Rev22:21"],
                             stdin=subprocess.DEVNULL, capture_output=True, check=True).stdout.decode("latin-1")
        return re.sub(r"(?m)^[0-9]?[A-Za-z]+[0-9]+:[0-9]+ ", "", out), "the King James Version from " + data
    if data != KJV_DATA and os.path.exists(data):
        return open(data, encoding="utf-8").read(), data
    return open(GENESIS, encoding="utf-8").read(), "the embedded Book of Genesis (KJV)"


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_head, self.dropout = c.heads, c.dropout
        self.c_attn = nn.Linear(c.embd, 3 * c.embd)
        self.c_proj = nn.Linear(c.embd, c.embd)
        self.resid_dropout = nn.Dropout(c.dropout)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0, is_causal=True)
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c)))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c.embd, 4 * c.embd)
        self.c_proj = nn.Linear(4 * c.embd, c.embd)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c.embd)
        self.attn = CausalSelfAttention(c)
        self.ln_2 = nn.LayerNorm(c.embd)
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c, vocab_size):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab_size, c.embd),
            wpe=nn.Embedding(c.block, c.embd),
            drop=nn.Dropout(c.dropout),
            h=nn.ModuleList([Block(c) for _ in range(c.layers)]),
            ln_f=nn.LayerNorm(c.embd)))
        for name, p in self.named_parameters():  # nanoGPT's scheme, as CharGptModel
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * c.layers))
            elif p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)

    def forward(self, idx):
        t = idx.shape[1]
        tr = self.transformer
        x = tr.drop(tr.wte(idx) + tr.wpe(torch.arange(t)))
        for block in tr.h:
            x = block(x)
        return tr.ln_f(x) @ tr.wte.weight.t()  # the tied head: no lm_head.weight of its own


def even_windows(split, count, block):
    windows = len(split) - block
    starts = [0] if count == 1 else [i * (windows - 1) // (count - 1) for i in range(count)]
    return starts


def batch(split, starts, block):
    x = torch.stack([split[s:s + block] for s in starts])
    y = torch.stack([split[s + 1:s + 1 + block] for s in starts])
    return x, y


@torch.no_grad()
def evaluate(model, split, starts, batch_size, block):
    model.eval()
    total, n = 0.0, 0
    for i in range(0, len(starts), batch_size):
        x, y = batch(split, starts[i:i + batch_size], block)
        logits = model(x)
        total += F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1)).item() * len(x)
        n += len(x)
    model.train()
    return total / n


def lr_factor(step, steps, warmup):
    """CharGpt's SequentialLR(LinearLR(1/warmup, 1, warmup), CosineAnnealingLR(steps - warmup, lr/10))."""
    if step < warmup:
        return 1.0 / warmup + (1 - 1.0 / warmup) * step / warmup
    t_max = max(1, steps - warmup)
    return 0.1 + 0.9 * (1 + math.cos(math.pi * (step - warmup) / t_max)) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--embd", type=int, default=128)
    ap.add_argument("--block", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--eval-interval", type=int, default=100)
    ap.add_argument("--eval-windows", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--prompt", default="And God said")
    ap.add_argument("--data", default=KJV_DATA)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    ap.add_argument("--check", help="a Grad4j CharGpt checkpoint to load and evaluate")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    text, source = load_text(a.data)
    chars = sorted(set(text))
    ids = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([ids[ch] for ch in text], dtype=torch.long)
    n = int(0.9 * len(data))
    train, val = data[:n], data[n:]
    print(f"{source}: {len(text):,} characters, vocabulary of {len(chars)}; {len(train):,} for training, "
          f"{len(val):,} for validation")
    train_eval = even_windows(train, a.eval_windows, a.block)
    val_eval = even_windows(val, a.eval_windows, a.block)

    if a.check:
        from safetensors import safe_open
        from safetensors.torch import load_file
        with safe_open(a.check, "pt") as f:
            meta = f.metadata()
        if meta["vocab"] != "".join(chars):
            sys.exit("the checkpoint's vocabulary is not this text's")
        a.layers, a.heads, a.embd, a.block = (int(meta[k]) for k in ("n_layer", "n_head", "n_embd", "block_size"))
        model = GPT(a, len(chars))
        state = {k: v for k, v in load_file(a.check).items() if not k.startswith("optimizer.")}
        print(model.load_state_dict(state, strict=True))
        model.eval()
        val_loss = evaluate(model, val, val_eval, a.batch, a.block)
        print(f"validation loss on the fixed windows: {val_loss:.6f} (Grad4j wrote {float(meta['val_loss']):.6f} "
              f"at step {meta['step']})")
        with torch.no_grad():
            logits = model(torch.tensor([[ids[c] for c in a.prompt]]))[0, -1]
        print("logits after the prompt, first 8:", " ".join(f"{v:.5f}" for v in logits[:8].tolist()))
        return

    model = GPT(a, len(chars))
    print(f"Model: {a.layers} layers, {a.heads} heads, {a.embd} wide, context {a.block}: "
          f"{sum(p.numel() for p in model.parameters()):,} parameters")
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.99), eps=1e-8)
    warmup = min(a.warmup, a.steps // 2)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, a.steps, warmup))
    seconds = 0.0

    def report(step):
        tl = evaluate(model, train, train_eval, a.batch, a.block)
        vl = evaluate(model, val, val_eval, a.batch, a.block)
        print(f"step {step}/{a.steps}: train loss {tl:.4f}, val loss {vl:.4f} ({seconds:.1f} s training so far)",
              flush=True)

    report(0)
    for step in range(1, a.steps + 1):
        start = time.perf_counter()
        starts = torch.randint(len(train) - a.block, (a.batch,)).tolist()
        x, y = batch(train, starts, a.block)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        sched.step()
        seconds += time.perf_counter() - start
        if step % a.eval_interval == 0 or step == a.steps:
            report(step)
    print(f"{a.steps * a.batch * a.block / seconds:,.0f} characters/s in training steps")


if __name__ == "__main__":
    main()
