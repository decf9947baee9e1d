#!/usr/bin/env python3
"""The project's model zoo: common timm and torchvision architectures, exported to ONNX with
seeded random weights, and onnxruntime's outputs for a fixed input, for tests/zoo/zoo_test.cpp.

    tests/zoo/zoo.py --out build/zoo                 # every model (cached: unchanged ones are kept)
    tests/zoo/zoo.py --out build/zoo --only resnet18,vit_tiny
    tests/zoo/zoo.py --list                          # the table of models
    tests/zoo/zoo.py --out DIR --torch-fp16 cuda     # also PyTorch eager fp16's and TF32's errors (GPU)

No hub is reachable: every model is built with weights=None / pretrained=False and then given
well-scaled random weights, so that deep nets keep O(1) activations:
  - torch.manual_seed(the model's seed) before construction (timm/torchvision init);
  - every norm layer's affine parameters are re-drawn (BatchNorm gamma in [0.5, 1.5], beta
    N(0, 0.1); LayerNorm/GroupNorm gamma in [0.8, 1.2], beta N(0, 0.05)), and layer-scale
    parameters (ConvNeXt's gamma, 1e-6 at init) in [0.1, 0.5]: initialisations that zero a
    residual branch would make a wrong kernel there invisible;
  - BatchNorm statistics are calibrated on random inputs (train mode, cumulative averages over
    a few batches), as the issue asks, then the model is put in eval mode.
Each model is exported with torch.onnx.export (TorchScript exporter, opset 17, open batch axis)
and run by onnxruntime (CPU, graph optimisations off) on a seeded N(0, 1) input of batch 2.
The export is checked against PyTorch's own fp32 output.

Files per model in --out: <name>.onnx, <name>.input.npy, <name>.out<k>.npy (every output, in
the model's output order). manifest.json lists every model (its spec, the files, the output
names, the torch-vs-onnxruntime error, and `error` when the build or export failed). A model
whose spec and this script's version are unchanged is not exported again.
"""
import argparse
import hashlib
import json
import os
import sys
import time
import traceback
import warnings

import numpy as np

# Bumped when the weights, inputs or export change, so cached files are re-made.
ZOO_VERSION = 1
BATCH = 2

# name, library, constructor, input size, constructor kwargs, family (for the README table).
# Input sizes are small (CI runs these on 2 cores through the plain reference backend) but
# large enough for every stage of each net.
MODELS = [
    # CNN classics (torchvision)
    ("resnet18", "tv", "resnet18", 96, {}, "ResNet"),
    ("resnet50", "tv", "resnet50", 96, {}, "ResNet"),
    ("resnext50_32x4d", "tv", "resnext50_32x4d", 96, {}, "ResNeXt (grouped conv)"),
    ("mobilenet_v2", "tv", "mobilenet_v2", 96, {}, "MobileNet"),
    ("mobilenet_v3_large", "tv", "mobilenet_v3_large", 96, {}, "MobileNet + SE"),
    ("mobilenet_v3_small", "tv", "mobilenet_v3_small", 96, {}, "MobileNet + SE"),
    ("densenet121", "tv", "densenet121", 96, {}, "DenseNet (concat)"),
    ("googlenet", "tv", "googlenet", 96, {"aux_logits": False, "init_weights": True}, "Inception (concat)"),
    ("inception_v3", "tv", "inception_v3", 128, {"aux_logits": False, "init_weights": True}, "Inception (concat)"),
    ("squeezenet1_1", "tv", "squeezenet1_1", 96, {}, "SqueezeNet"),
    ("shufflenet_v2_x1_0", "tv", "shufflenet_v2_x1_0", 96, {}, "ShuffleNetV2 (split, shuffle)"),
    ("mnasnet1_0", "tv", "mnasnet1_0", 96, {}, "MnasNet"),
    ("efficientnet_b0", "tv", "efficientnet_b0", 96, {}, "EfficientNet + SE"),
    ("efficientnet_v2_s", "tv", "efficientnet_v2_s", 96, {}, "EfficientNetV2"),
    ("regnet_x_400mf", "tv", "regnet_x_400mf", 96, {}, "RegNet"),
    ("regnet_y_400mf", "tv", "regnet_y_400mf", 96, {}, "RegNet + SE"),
    ("alexnet", "tv", "alexnet", 224, {}, "AlexNet"),
    ("vgg11_bn", "tv", "vgg11_bn", 224, {}, "VGG (plain 3x3)"),
    ("convnext_tiny", "tv", "convnext_tiny", 96, {}, "ConvNeXt (LayerNorm, GELU)"),
    ("swin_t", "tv", "swin_t", 96, {}, "Swin (windows, roll)"),
    # Segmentation (torchvision): large per-pixel outputs, several heads
    ("deeplabv3_mobilenet_v3_large", "tvseg", "deeplabv3_mobilenet_v3_large", 96,
     {"weights_backbone": None, "aux_loss": False}, "Segmentation (DeepLabV3)"),
    ("lraspp_mobilenet_v3_large", "tvseg", "lraspp_mobilenet_v3_large", 96, {"weights_backbone": None},
     "Segmentation (LR-ASPP)"),
    ("fcn_resnet50", "tvseg", "fcn_resnet50", 96, {"weights_backbone": None, "aux_loss": True},
     "Segmentation (FCN, 2 outputs)"),
    # timm CNNs
    ("seresnet50", "timm", "seresnet50", 96, {}, "SE-ResNet"),
    ("ghostnet_100", "timm", "ghostnet_100", 96, {}, "GhostNet"),
    ("rexnet_100", "timm", "rexnet_100", 96, {}, "ReXNet"),
    ("mixnet_s", "timm", "mixnet_s", 96, {}, "MixNet (split, mixed kernels)"),
    ("res2net50_26w_4s", "timm", "res2net50_26w_4s", 96, {}, "Res2Net (split)"),
    ("cspdarknet53", "timm", "cspdarknet53", 96, {}, "CSP-DarkNet"),
    ("dpn68", "timm", "dpn68", 96, {}, "DPN (slice, concat)"),
    ("dla34", "timm", "dla34", 96, {}, "DLA (concat)"),
    ("hrnet_w18_small", "timm", "hrnet_w18_small", 96, {}, "HRNet (multi-resolution)"),
    ("repvgg_a0", "timm", "repvgg_a0", 96, {}, "RepVGG (plain 3x3)"),
    ("efficientnet_lite0", "timm", "efficientnet_lite0", 96, {}, "EfficientNet-Lite"),
    ("tf_efficientnetv2_b0", "timm", "tf_efficientnetv2_b0", 96, {}, "EfficientNetV2 (TF 'same' pad)"),
    ("regnety_002", "timm", "regnety_002", 96, {}, "RegNetY + SE"),
    ("convnext_atto", "timm", "convnext_atto", 96, {}, "ConvNeXt (LayerNorm2d)"),
    # timm transformers and hybrids
    ("vit_tiny", "timm", "vit_tiny_patch16_224", 96, {"img_size": 96}, "ViT"),
    ("deit_tiny_distilled", "timm", "deit_tiny_distilled_patch16_224", 96, {"img_size": 96},
     "DeiT (2 tokens)"),
    ("swin_tiny", "timm", "swin_tiny_patch4_window7_224", 96, {"img_size": 96, "window_size": 3},
     "Swin (timm)"),
    ("mobilevit_xxs", "timm", "mobilevit_xxs", 128, {}, "MobileViT"),
    ("efficientformer_l1", "timm", "efficientformer_l1", 224, {}, "EfficientFormer"),
    ("efficientvit_b0", "timm", "efficientvit_b0", 128, {}, "EfficientViT (linear attention)"),
    ("levit_128s", "timm", "levit_128s", 224, {}, "LeViT (attention + BN)"),
]
FIELDS = ("name", "lib", "ctor", "size", "kwargs", "family")


def spec_of(entry):
    return dict(zip(FIELDS, entry))


def spec_hash(spec):
    s = json.dumps({"v": ZOO_VERSION, "batch": BATCH, **spec}, sort_keys=True)
    return hashlib.sha256(s.encode()).hexdigest()[:16]


def seed_of(name):
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % (2**31)


# ---- building ------------------------------------------------------------------------------

def build(spec):
    import torch
    torch.manual_seed(seed_of(spec["name"]))
    if spec["lib"] == "timm":
        import timm
        m = timm.create_model(spec["ctor"], pretrained=False, **spec["kwargs"])
    elif spec["lib"] == "tvseg":
        import torchvision
        m = getattr(torchvision.models.segmentation, spec["ctor"])(weights=None, **spec["kwargs"])
    else:
        import torchvision
        m = getattr(torchvision.models, spec["ctor"])(weights=None, **spec["kwargs"])
    return m


def rescale_weights(model, gen):
    """Re-draws norm affine parameters and layer scales (see the module docstring)."""
    import torch
    bn = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)
    ln = (torch.nn.LayerNorm, torch.nn.GroupNorm)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, bn):
                if mod.weight is not None:
                    mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) + 0.5)
                    mod.bias.copy_(torch.randn(mod.bias.shape, generator=gen) * 0.1)
                mod.reset_running_stats()
                mod.momentum = None  # cumulative average over the calibration batches
            elif isinstance(mod, ln) and getattr(mod, "weight", None) is not None:
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) * 0.4 + 0.8)
                if mod.bias is not None:
                    mod.bias.copy_(torch.randn(mod.bias.shape, generator=gen) * 0.05)
        for pname, p in model.named_parameters():
            leaf = pname.rsplit(".", 1)[-1]
            if leaf in ("gamma", "layer_scale", "ls", "scale") and p.dim() <= 1 and p.numel() > 1:
                if float(p.abs().max()) < 1e-3:  # a layer scale initialised near zero
                    p.copy_(torch.rand(p.shape, generator=gen) * 0.4 + 0.1)


def calibrate(model, size, gen):
    """BatchNorm running statistics from random inputs, then eval mode."""
    import torch
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, size, size, generator=gen))
    model.eval()


def as_tuple_module(model):
    """A module returning a tuple of tensors, and the output names."""
    import torch

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            y = self.m(x)
            if isinstance(y, dict):
                return tuple(y.values())
            if isinstance(y, (list, tuple)):
                return tuple(y)
            return (y,)

    return Wrap(model)


def output_names(model, x):
    import torch
    with torch.no_grad():
        y = model(x)
    if isinstance(y, dict):
        return list(y.keys())
    if isinstance(y, (list, tuple)):
        return [f"output{i}" for i in range(len(y))]
    return ["output"]


def export(spec, out_dir):
    """Builds, calibrates and exports one model; returns the manifest entry."""
    import torch
    import onnx
    import onnxruntime as ort

    name, size = spec["name"], spec["size"]
    gen = torch.Generator().manual_seed(seed_of(name) + 1)
    model = build(spec)
    rescale_weights(model, gen)
    calibrate(model, size, gen)
    x = torch.randn(BATCH, 3, size, size, generator=torch.Generator().manual_seed(seed_of(name) + 2))
    names = output_names(model, x)
    wrapped = as_tuple_module(model).eval()
    with torch.no_grad():
        want = [t.detach().numpy() for t in wrapped(x)]
    path = os.path.join(out_dir, name + ".onnx")
    dyn = {"input": {0: "batch"}}
    dyn.update({n: {0: "batch"} for n in names})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapped, (x,), path, dynamo=False, opset_version=17, input_names=["input"],
                          output_names=names, dynamic_axes=dyn, do_constant_folding=True)
    onnx.checker.check_model(path)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = max(1, os.cpu_count() or 1)
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    xin = x.numpy()
    got = sess.run(None, {"input": xin})
    np.save(os.path.join(out_dir, name + ".input.npy"), xin)
    outs, torch_err = [], 0.0
    for k, (g, w, n) in enumerate(zip(got, want, names)):
        f = f"{name}.out{k}.npy"
        np.save(os.path.join(out_dir, f), g.astype(np.float32))
        outs.append({"name": n, "file": f, "shape": list(g.shape)})
        torch_err = max(torch_err, rel_l2(g, w))
    if not all(np.isfinite(g).all() for g in got):
        raise RuntimeError("onnxruntime's output has NaN/Inf")
    ops = sorted({n.op_type for n in onnx.load(path, load_external_data=False).graph.node})
    return {"onnx": name + ".onnx", "input": name + ".input.npy", "input_shape": list(xin.shape),
            "outputs": outs, "torch_vs_ort_rel_l2": torch_err, "ops": ops,
            "params": int(sum(p.numel() for p in model.parameters())),
            "output_std": [float(np.std(g)) for g in got]}


def rel_l2(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


# ---- PyTorch fp16 error (GPU machine) --------------------------------------------------------

def torch_low_precision_errors(spec, out_dir, device):
    """Relative L2 errors of PyTorch eager fp16 (channels_last) and of PyTorch fp32 with TF32
    convolutions and matrix products, against PyTorch exact fp32, on the zoo input, per output:
    the yardsticks for Tandem's fp16 and tf32 errors (tests/zoo/zoo_test.cpp). Either is None
    where PyTorch itself cannot run the model that way."""
    import torch
    name, size = spec["name"], spec["size"]
    gen = torch.Generator().manual_seed(seed_of(name) + 1)
    model = build(spec)
    rescale_weights(model, gen)
    calibrate(model, size, gen)
    model = as_tuple_module(model).eval().to(device)
    x = torch.from_numpy(np.load(os.path.join(out_dir, name + ".input.npy"))).to(device)
    flags = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    errs = {}
    with torch.no_grad():
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
        ref = [t.float().cpu().numpy() for t in model(x)]
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
        try:
            errs["tf32"] = [rel_l2(t.float().cpu().numpy(), r) for t, r in zip(model(x), ref)]
        finally:
            torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = flags
        try:
            m16 = model.half().to(memory_format=torch.channels_last)
            half = m16(x.half().contiguous(memory_format=torch.channels_last))
            errs["fp16"] = [rel_l2(t.float().cpu().numpy(), r) for t, r in zip(half, ref)]
        except Exception as ex:  # e.g. a timm op that mixes dtypes under .half()
            errs["fp16_error"] = f"{type(ex).__name__}: {ex}".splitlines()[0][:200]
    return errs


def write_manifest(path, entries):
    with open(path + ".tmp", "w") as f:
        json.dump({"version": ZOO_VERSION, "batch": BATCH, "models": entries}, f, indent=1)
    os.replace(path + ".tmp", path)


# ---- main ----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="output folder")
    ap.add_argument("--only", default="", help="comma-separated model names")
    ap.add_argument("--list", action="store_true", help="print the models and exit")
    ap.add_argument("--torch-fp16", default="", metavar="DEVICE",
                    help="also measure PyTorch eager fp16's and TF32's errors on DEVICE (e.g. cuda)")
    ap.add_argument("--force", action="store_true", help="export again even if cached")
    a = ap.parse_args()
    specs = [spec_of(e) for e in MODELS]
    if a.list:
        for s in specs:
            print(f"{s['name']:32} {s['lib']:6} {s['size']:4}  {s['family']}")
        return 0
    if not a.out:
        ap.error("--out is required")
    only = {n for n in a.only.split(",") if n}
    unknown = only - {s["name"] for s in specs}
    if unknown:
        ap.error("unknown model(s): " + ", ".join(sorted(unknown)))
    os.makedirs(a.out, exist_ok=True)
    import torch
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    mpath = os.path.join(a.out, "manifest.json")
    old = {}
    if os.path.exists(mpath):
        with open(mpath) as f:
            old = {m["name"]: m for m in json.load(f).get("models", [])}
    entries, t_all = [], time.time()
    for s in specs:
        if only and s["name"] not in only:
            if s["name"] in old:
                entries.append(old[s["name"]])
            continue
        h = spec_hash(s)
        prev = old.get(s["name"])
        cached = (prev and prev.get("hash") == h and not a.force and
                  ("error" in prev or all(os.path.exists(os.path.join(a.out, o["file"])) for o in prev["outputs"])))
        if cached and not a.torch_fp16:
            entries.append(prev)
            continue
        t0 = time.time()
        e = dict(prev) if cached else {}
        e.update({"name": s["name"], "hash": h, "family": s["family"], "lib": s["lib"], "ctor": s["ctor"],
                  "size": s["size"]})
        try:
            if not cached:
                e.pop("error", None)
                e.update(export(s, a.out))
            if a.torch_fp16 and "error" not in e:
                errs = torch_low_precision_errors(s, a.out, a.torch_fp16)
                for k in ("tf32", "fp16"):
                    if k in errs:
                        e[f"torch_{k}_rel_l2"] = errs[k]
                if "fp16_error" in errs:
                    e["torch_fp16_error"] = errs["fp16_error"]
            status = "ok"
        except Exception as ex:  # the model is listed with its error; the test reports it
            msg = f"{type(ex).__name__}: {ex}".splitlines()[0][:300]
            e["error"] = msg
            status = "FAILED " + msg
            if os.environ.get("ZOO_TRACEBACK"):
                traceback.print_exc()
        entries.append(e)
        print(f"zoo: {s['name']:32} {time.time() - t0:6.1f} s  {status}", flush=True)
        # Written after every model, so an interrupted export keeps what it made; models not
        # reached yet keep their old entries until then.
        done = {x["name"] for x in entries}
        write_manifest(mpath, entries + [m for n, m in old.items() if n not in done])
    write_manifest(mpath, entries)
    bad = [e["name"] for e in entries if "error" in e]
    print(f"zoo: {len(entries)} models in {a.out} ({time.time() - t_all:.0f} s)"
          + (f"; export failed: {', '.join(bad)}" if bad else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
