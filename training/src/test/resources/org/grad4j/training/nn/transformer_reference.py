# Makes transformer_reference.safetensors, the PyTorch 2.13 reference for TransformerReferenceTest:
#   python transformer_reference.py   (needs torch and safetensors; run beside this file)
# Each case "c" stores the module's state dict as "c/state/<key>", its inputs as "c/in/<name>" (BOOL masks
# as 0/1 floats) and PyTorch's results as "c/out/<name>". Modules run in eval mode with grad enabled,
# so PyTorch takes its plain (not fast-path) computation.
import torch
import torch.nn as nn
from safetensors.torch import save_file

torch.manual_seed(1234)
T = {}


def put(case, module, inputs, outputs):
    for k, v in module.state_dict().items():
        T[f"{case}/state/{k}"] = v.detach().clone().contiguous()
    for k, v in inputs.items():
        T[f"{case}/in/{k}"] = v.float().contiguous()
    for k, v in outputs.items():
        T[f"{case}/out/{k}"] = v.detach().float().contiguous()


def rand_params(m):
    # biases are zero and norms are 1/0 at init: draw every parameter so that all of them matter
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    return m


causal3 = torch.triu(torch.ones(3, 3, dtype=torch.bool), 1)

m = rand_params(nn.MultiheadAttention(8, 2)).eval()
x = torch.randn(3, 2, 8)
o, w = m(x, x, x)
put("mha_self", m, {"x": x}, {"output": o, "weights": w})

m = rand_params(nn.MultiheadAttention(8, 2, batch_first=True)).eval()
q, k, v = torch.randn(2, 3, 8), torch.randn(2, 4, 8), torch.randn(2, 4, 8)
kpm = torch.tensor([[False, False, True, False], [False, False, False, True]])
am = torch.randn(3, 4)
o, w = m(q, k, v, key_padding_mask=kpm, attn_mask=am, average_attn_weights=False)
put("mha_cross", m, {"q": q, "k": k, "v": v, "key_padding_mask": kpm, "attn_mask": am}, {"output": o, "weights": w})

m = rand_params(nn.MultiheadAttention(8, 2)).eval()
x = torch.randn(3, 2, 8)
o, w = m(x, x, x, attn_mask=causal3, need_weights=False, is_causal=True)
put("mha_causal", m, {"x": x, "attn_mask": causal3}, {"output": o})

m = rand_params(nn.MultiheadAttention(8, 2, kdim=6, vdim=4)).eval()
q, k, v = torch.randn(3, 8), torch.randn(4, 6), torch.randn(4, 4)
am = torch.rand(2, 3, 4) > 0.6
am[:, :, 0] = False  # no row fully masked
o, w = m(q, k, v, attn_mask=am)
put("mha_kdim", m, {"q": q, "k": k, "v": v, "attn_mask": am}, {"output": o, "weights": w})

m = rand_params(nn.TransformerEncoderLayer(8, 2, 16)).eval()
x = torch.randn(3, 2, 8)
kpm = torch.tensor([[False, False, True], [False, False, False]])
put("enc_post", m, {"x": x, "key_padding_mask": kpm}, {"output": m(x, src_key_padding_mask=kpm)})

m = rand_params(
    nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", batch_first=True, norm_first=True, bias=False)
).eval()
x = torch.randn(2, 3, 8)
fm = nn.Transformer.generate_square_subsequent_mask(3)
put("enc_pre", m, {"x": x, "mask": fm}, {"output": m(x, src_mask=fm, is_causal=True)})

m = rand_params(nn.TransformerDecoderLayer(8, 2, 16, batch_first=True)).eval()
t, mem = torch.randn(2, 3, 8), torch.randn(2, 4, 8)
mkpm = torch.tensor([[False, True, False, False], [False, False, False, False]])
out = m(t, mem, tgt_mask=causal3, memory_key_padding_mask=mkpm, tgt_is_causal=True)
put("dec_post", m, {"tgt": t, "memory": mem, "tgt_mask": causal3, "memory_key_padding_mask": mkpm}, {"output": out})

m = rand_params(nn.TransformerDecoderLayer(8, 2, 16, activation="gelu", norm_first=True)).eval()
t, mem = torch.randn(3, 2, 8), torch.randn(4, 2, 8)
put("dec_pre", m, {"tgt": t, "memory": mem}, {"output": m(t, mem)})

m = rand_params(
    nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, norm=nn.LayerNorm(8), enable_nested_tensor=False)
).eval()
x = torch.randn(3, 2, 8)
kpm = torch.tensor([[False, False, False], [False, True, False]])
put("encoder", m, {"x": x, "mask": causal3, "key_padding_mask": kpm},
    {"output": m(x, mask=causal3, src_key_padding_mask=kpm)})

m = rand_params(nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 2, norm=nn.LayerNorm(8))).eval()
t, mem = torch.randn(3, 2, 8), torch.randn(4, 2, 8)
put("decoder", m, {"tgt": t, "memory": mem, "tgt_mask": causal3}, {"output": m(t, mem, tgt_mask=causal3)})

save_file(T, "transformer_reference.safetensors")
