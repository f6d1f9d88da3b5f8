#!/usr/bin/python3
"""torch_lstm.py - an independent PyTorch implementation of the decomposed
LSTMs that `dse train` trains (issue 12): the reference its accuracy and its
speed are compared with.  Used only by `make bench` (tools/bench_train.sh)
and by hand; never by `make run` or `make test`.

Needs Debian's python3-torch and numpy: run it with /usr/bin/python3.

Sub-commands (each has --help):
  train         train the network a point names, factors as the parameters
  check-export  load a `dse train --save DIR` export into torch.nn.LSTM and
                report its test accuracy and the ranks of the exported matrix
  bench         training clips/s on one thread, dense reconstruction vs
                factored contraction vs plain torch.nn.LSTM, with MACs/clip
  synth         write a small synthetic .npy data set (a blob moving toward
                one of four quadrants; label = the quadrant)
  selftest      the factored forward pass equals the dense one, on every format

Conventions (those of costmodel/tensor/cm_net.h and README "Conventions"): a point
is sections separated by '/', fields by ';'; W (M x N) is tensorized with
row i <-> (i_1..i_d), column j <-> (j_1..j_d), row-major, mode 1 most
significant; factor layouts: dense (M, N); TT core k (r_{k-1}, m_k, n_k, r_k)
with the end bonds omitted; HT leaf (m_k, n_k, r_k), internal node
(r_left, r_right, r_t), root (r_left, r_right).  Gates i, f, g, o.  See
docs/TRAIN-torch.md.
"""

import argparse
import json
import math
import os
import sys
import time


def _threads_from_argv(argv):
    """One BLAS / OpenMP thread unless --threads says otherwise (bench: always
    1).  Set before torch loads: Debian's torch multiplies through the
    system OpenBLAS, whose own thread pool torch.set_num_threads does not
    govern."""
    n = "1"
    if argv[:1] != ["bench"]:
        for k, v in enumerate(argv):
            if v == "--threads" and k + 1 < len(argv):
                n = argv[k + 1]
            elif v.startswith("--threads="):
                n = v.split("=", 1)[1]
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = n


_threads_from_argv(sys.argv[1:])


def _malloc_keep():
    """glibc serves each >= 32 MB tensor with a fresh mmap and unmaps it when
    freed, so a 240 MB weight gradient pays ~60,000 page faults and zeroing
    every mini-batch.  Keep freed memory in the heap instead (both sides of
    the benchmark get it; TORCH_LSTM_MALLOC=0 to leave glibc alone)."""
    if os.environ.get("TORCH_LSTM_MALLOC", "1") == "0":
        return False
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
        return bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False


MALLOC_KEEP = _malloc_keep()

import numpy as np  # noqa: E402

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - reported, not fatal for --help
    torch = None

PROG = "torch_lstm"
# dense impl: PyTorch's fused LSTM op (torch._VF.lstm, what nn.LSTM calls) on
# the reconstructed matrices; TORCH_LSTM_NOFUSED=1 uses a Python-level loop
FUSED = torch is not None and hasattr(torch, "_VF") and not os.environ.get("TORCH_LSTM_NOFUSED")


def die(msg, code=2):
    print(f"{PROG}: {msg}", file=sys.stderr)
    sys.exit(code)


def need_torch():
    if torch is None:
        die("PyTorch is not importable by this interpreter (use /usr/bin/python3 "
            "with Debian's python3-torch)", 3)


# --------------------------------------------------------------------------
# Point parsing (independent of the C parser; accepts o=/df= and ignores them)
# --------------------------------------------------------------------------

class Tree:
    """HT dimension tree node: modes (0-based, in printed order), rank,
    left/right children (None for a leaf)."""

    def __init__(self, modes, left=None, right=None, rank=None):
        self.modes = modes
        self.left = left
        self.right = right
        self.rank = rank

    @property
    def leaf(self):
        return self.left is None

    @property
    def label(self):
        return "".join(str(k + 1) for k in sorted(self.modes))

    def postorder(self):
        if not self.leaf:
            yield from self.left.postorder()
            yield from self.right.postorder()
        yield self


def parse_tree(s):
    pos = 0

    def num():
        nonlocal pos
        st = pos
        while pos < len(s) and s[pos].isdigit():
            pos += 1
        if st == pos:
            raise ValueError(f"tree '{s}': a number expected at {st}")
        return int(s[st:pos])

    def node():
        nonlocal pos
        if pos < len(s) and s[pos] == "(":
            pos += 1
            a = node()
            if pos >= len(s) or s[pos] != ",":
                raise ValueError(f"tree '{s}': ',' expected at {pos}")
            pos += 1
            b = node()
            if pos >= len(s) or s[pos] != ")":
                raise ValueError(f"tree '{s}': ')' expected at {pos}")
            pos += 1
            t = Tree(a.modes + b.modes, a, b)
        else:
            t = Tree([num() - 1])
        if pos < len(s) and s[pos] == ":":
            pos += 1
            t.rank = num()
        return t

    root = node()
    if pos != len(s):
        raise ValueError(f"tree '{s}': trailing text at {pos}")
    d = len(root.modes)
    if sorted(root.modes) != list(range(d)):
        raise ValueError(f"tree '{s}': modes must be 1..{d}, once each")
    if root.rank not in (None, 1):
        raise ValueError(f"tree '{s}': the root rank must be 1")
    root.rank = 1
    for t in root.postorder():
        if t is not root and (t.rank is None or t.rank < 1):
            raise ValueError(f"tree '{s}': every non-root rank must be given (>= 1)")
    return root


def parse_modes(s, what):
    try:
        v = [int(x) for x in s.split("x")]
    except ValueError:
        raise ValueError(f"{what}: bad mode list '{s}'")
    if not v or any(x < 1 for x in v):
        raise ValueError(f"{what}: bad mode list '{s}'")
    return v


class Mat:
    """One decomposed matrix of a point."""

    def __init__(self, role, fields):
        self.role = role
        self.fmt = fields.get("f")
        if self.fmt not in ("dense", "tt", "ht"):
            raise ValueError(f"{role}: format f= must be dense, tt or ht (got {self.fmt})")
        if "m" not in fields or "n" not in fields:
            raise ValueError(f"{role}: m= and n= are required")
        self.m = parse_modes(fields["m"], role + " m=")
        self.n = parse_modes(fields["n"], role + " n=")
        if len(self.m) != len(self.n):
            raise ValueError(f"{role}: m= and n= must have the same number of modes")
        self.d = len(self.m)
        self.rows = math.prod(self.m)
        self.cols = math.prod(self.n)
        self.tt_r = None
        self.tree = None
        if self.fmt == "tt":
            if "r" not in fields:
                raise ValueError(f"{role}: tt needs r=1,r1,..,1")
            r = [int(x) for x in fields["r"].split(",")]
            if len(r) != self.d + 1 or r[0] != 1 or r[-1] != 1 or min(r) < 1:
                raise ValueError(f"{role}: r= must be 1,r_1,..,r_(d-1),1 ({self.d + 1} values)")
            self.tt_r = r
        elif self.fmt == "ht":
            if "t" not in fields:
                raise ValueError(f"{role}: ht needs t=TREE")
            self.tree = parse_tree(fields["t"])
            if len(self.tree.modes) != self.d:
                raise ValueError(f"{role}: the tree has {len(self.tree.modes)} modes, m= has {self.d}")
        self.text = fields


class Point:
    def __init__(self, s):
        s = s.strip()
        self.text = s
        secs = s.split("/")
        work = secs[0].split(";")
        if work[0] != "lstm":
            raise ValueError("not an LSTM point (the work section must start with 'lstm')")
        wf = self._fields(work[1:], "lstm")
        try:
            self.n_in = int(wf["nin"])
            self.hidden = int(wf["h"])
        except (KeyError, ValueError):
            raise ValueError("lstm section needs nin=INT and h=INT")
        self.decomp = wf.get("dec")
        if self.decomp not in ("partial", "separate", "concat"):
            raise ValueError("dec= must be partial, separate or concat")
        self.n_pad = int(wf["pad"]) if "pad" in wf else 0
        if self.decomp == "concat" and self.n_pad == 0:
            self.n_pad = self.n_in + self.hidden
        if self.n_in < 1 or self.hidden < 1:
            raise ValueError("nin and h must be >= 1")
        self.wx = self.wh = None
        net = [secs[0]]
        for sec in secs[1:]:
            f = sec.split(";")
            if f[0] == "hw":
                continue  # the hardware part is ignored
            if f[0] not in ("wx", "wh"):
                raise ValueError(f"unknown section '{f[0]}'")
            m = Mat(f[0], self._fields(f[1:], f[0]))
            if getattr(self, f[0]) is not None:
                raise ValueError(f"duplicate section '{f[0]}'")
            setattr(self, f[0], m)
            net.append(sec)
        self.network = "/".join(net)
        H4 = 4 * self.hidden
        if self.wx is None:
            raise ValueError("no wx section")
        cols = self.n_pad if self.decomp == "concat" else self.n_in
        if self.wx.rows != H4 or self.wx.cols != cols:
            raise ValueError(f"wx is {self.wx.rows} x {self.wx.cols}, expected {H4} x {cols}")
        if self.decomp == "concat":
            if self.n_pad < self.n_in + self.hidden:
                raise ValueError("pad must be >= nin + h")
            if self.wh is not None:
                raise ValueError("concat has no wh section")
        else:
            if self.wh is None:
                raise ValueError(f"dec={self.decomp} needs a wh section")
            if self.wh.rows != H4 or self.wh.cols != self.hidden:
                raise ValueError(f"wh is {self.wh.rows} x {self.wh.cols}, expected {H4} x {self.hidden}")
            if self.decomp == "partial" and self.wh.fmt != "dense":
                raise ValueError("dec=partial needs a dense wh")

    @staticmethod
    def _fields(items, sec):
        out = {}
        for it in items:
            if "=" not in it:
                raise ValueError(f"{sec}: field '{it}' is not key=value")
            k, v = it.split("=", 1)
            if k in out:
                raise ValueError(f"{sec}: duplicate key '{k}'")
            out[k] = v
        return out

    def fan_in(self, role):
        if role == "wh":
            return self.hidden
        return self.n_in + self.hidden if self.decomp == "concat" else self.n_in


# --------------------------------------------------------------------------
# A matrix as a tensor network: factors, indices, contraction plans
# --------------------------------------------------------------------------

class Network:
    """Factors of one matrix: label, stored shape, index names (layout order).
    Index names: m1..md, n1..nd; HT rank of node <label>: r<label>; TT bond k
    (between cores k and k+1): b<k>."""

    def __init__(self, mat):
        self.mat = mat
        d = mat.d
        self.size = {}
        for k in range(d):
            self.size[f"m{k + 1}"] = mat.m[k]
            self.size[f"n{k + 1}"] = mat.n[k]
        self.factors = []  # (label, stored shape, index names)
        self.rank_edges = []  # internal edges (rank indices) with the rank
        if mat.fmt == "dense":
            idx = [f"m{k + 1}" for k in range(d)] + [f"n{k + 1}" for k in range(d)]
            self.factors.append(("W", (mat.rows, mat.cols), idx))
        elif mat.fmt == "tt":
            r = mat.tt_r
            for k in range(d):
                idx, shp = [], []
                if k > 0:
                    idx.append(f"b{k}")
                    shp.append(r[k])
                idx += [f"m{k + 1}", f"n{k + 1}"]
                shp += [mat.m[k], mat.n[k]]
                if k < d - 1:
                    idx.append(f"b{k + 1}")
                    shp.append(r[k + 1])
                self.factors.append((str(k + 1), tuple(shp), idx))
            for k in range(1, d):
                self.size[f"b{k}"] = r[k]
                self.rank_edges.append((f"b{k}", r[k]))
        else:
            root = mat.tree
            nodes = list(root.postorder())
            leaves = sorted([t for t in nodes if t.leaf], key=lambda t: t.modes[0])
            internal = [t for t in nodes if not t.leaf]
            for t in nodes:
                if t is not root:
                    self.size["r" + t.label] = t.rank
                    self.rank_edges.append(("r" + t.label, t.rank))
            for t in leaves:
                k = t.modes[0]
                idx = [f"m{k + 1}", f"n{k + 1}"]
                if t is not root:
                    idx.append("r" + t.label)
                self.factors.append((t.label, tuple(self.size[i] for i in idx), idx))
            for t in internal:
                idx = ["r" + t.left.label, "r" + t.right.label]
                if t is not root:
                    idx.append("r" + t.label)
                self.factors.append((t.label, tuple(self.size[i] for i in idx), idx))
        self.xidx = [f"n{k + 1}" for k in range(d)]
        self.yidx = [f"m{k + 1}" for k in range(d)]
        # every name gets an einsum letter; 'Z' is the batch
        names = sorted(self.size)
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"
        if len(names) > len(letters):
            raise ValueError("too many indices")
        self.letter = {n: letters[i] for i, n in enumerate(names)}
        self._plan_reconstruct()
        self._plan_apply()

    def nparams(self):
        return sum(math.prod(s) for _, s, _ in self.factors)

    def view_shape(self, f):
        return tuple(self.size[i] for i in self.factors[f][2])

    def _prod(self, idx):
        return math.prod(self.size[i] for i in idx)

    def _eq(self, a, b, out, batch=False):
        L = self.letter
        z = "Z" if batch else ""
        return (z + "".join(L[i] for i in a) + "," + "".join(L[i] for i in b) + "->" + z
                + "".join(L[i] for i in out))

    # reconstruction W = contraction of all factors: greedy pairwise plan
    def _plan_reconstruct(self):
        tens = [(list(idx), ("f", f)) for f, (_, _, idx) in enumerate(self.factors)]
        plan, macs = [], 0
        outset = set(self.xidx) | set(self.yidx)
        while len(tens) > 1:
            best = None
            for a in range(len(tens)):
                for b in range(a + 1, len(tens)):
                    ia, ib = tens[a][0], tens[b][0]
                    shared = set(ia) & set(ib)
                    out = [i for i in ia if i not in shared] + [i for i in ib if i not in shared]
                    cost = self._prod(set(ia) | set(ib))
                    key = (not shared, cost, self._prod(out))
                    if best is None or key < best[0]:
                        best = (key, a, b, out, bool(shared))
            _, a, b, out, _ = best
            ia, ib = tens[a][0], tens[b][0]
            macs += self._prod(set(ia) | set(ib))
            plan.append((tens[a][1], tens[b][1], self._eq(ia, ib, out)))
            new = (out, ("t", len(plan) - 1))
            tens = [t for k, t in enumerate(tens) if k not in (a, b)] + [new]
        final = tens[0][0]
        want = self.yidx + self.xidx
        assert set(final) == set(want) and not (set(final) - outset)
        self.rec_plan = plan
        self.rec_final = final
        self.rec_perm = [final.index(i) for i in want]
        self.rec_perm_t = [final.index(i) for i in self.xidx + self.yidx]
        self.rec_macs = macs  # 0 for dense

    def reconstruct(self, params, transposed=False):
        """W (rows x cols) from the factor tensors, or W^T (cols x rows)
        contiguous when transposed."""
        mat = self.mat
        if mat.fmt == "dense":
            return params[0].t() if transposed else params[0]
        views = [params[f].reshape(self.view_shape(f)) for f in range(len(self.factors))]
        res = []

        def get(ref):
            return views[ref[1]] if ref[0] == "f" else res[ref[1]]

        for ra, rb, eq in self.rec_plan:
            res.append(torch.einsum(eq, get(ra), get(rb)))
        t = res[-1] if res else views[0]
        if transposed:
            return t.permute(self.rec_perm_t).reshape(mat.cols, mat.rows)
        return t.permute(self.rec_perm).reshape(mat.rows, mat.cols)

    # y = W x without W: exact best order (fewest MACs, then smallest peak) by
    # dynamic programming over the sets of contracted factors
    def _plan_apply(self):
        nf = len(self.factors)
        fidx = [set(idx) for _, _, idx in self.factors]
        x0 = set(self.xidx)

        def tensor_of(S):
            t = set(x0)
            for f in range(nf):
                if S >> f & 1:
                    t ^= fidx[f]
            return t

        best = {0: (0, self._prod(x0), [])}
        for S in range(1 << nf):
            if S not in best:
                continue
            macs, peak, order = best[S]
            tin = tensor_of(S)
            sin = self._prod(tin)
            for f in range(nf):
                if S >> f & 1:
                    continue
                produced = fidx[f] - tin
                tout = tin ^ fidx[f]
                step = sin * self._prod(produced)
                cand = (macs + step, max(peak, self._prod(tout)), order + [f])
                T = S | (1 << f)
                if T not in best or cand[:2] < best[T][:2]:
                    best[T] = cand
        macs, peak, order = best[(1 << nf) - 1]
        steps, cur = [], list(self.xidx)
        for k, f in enumerate(order):
            idx = self.factors[f][2]
            out = [i for i in cur if i not in idx] + [i for i in idx if i not in cur]
            if k == len(order) - 1:
                assert set(out) == set(self.yidx)
                out = list(self.yidx)
            steps.append((f, self._eq(cur, idx, out, batch=True)))
            cur = out
        self.app_steps = steps
        self.app_macs = macs  # per input vector
        self.app_peak = peak
        self.app_order = ",".join(self.factors[f][0] for f in order)

    def apply(self, params, x):
        """y (B x rows) = x (B x cols) W^T, contracting one factor at a time."""
        mat = self.mat
        if mat.fmt == "dense":
            return F.linear(x, params[0])
        B = x.shape[0]
        t = x.reshape((B,) + tuple(mat.n))
        for f, eq in self.app_steps:
            t = torch.einsum(eq, t, params[f].reshape(self.view_shape(f)))
        return t.reshape(B, mat.rows)

    def init_std(self, fan_in):
        """Per-factor std s: s^(2 nf) * prod(internal ranks) = 1 / fan_in."""
        nf = len(self.factors)
        pr = math.prod(r for _, r in self.rank_edges)
        return (1.0 / (fan_in * pr)) ** (1.0 / (2 * nf))

    def node_masks(self):
        """(label, named rank, set of 0-based modes) of every matricization whose
        rank the format bounds: HT non-root nodes; TT bonds (modes 1..k)."""
        mat = self.mat
        out = []
        if mat.fmt == "ht":
            for t in mat.tree.postorder():
                if t is not mat.tree:
                    out.append((t.label, t.rank, set(t.modes)))
        elif mat.fmt == "tt":
            for k in range(1, mat.d):
                out.append(("bond" + str(k), mat.tt_r[k], set(range(k))))
        return out


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------

if torch is not None:

    class DecLSTM(nn.Module):
        def __init__(self, pt, classes, gen=None):
            super().__init__()
            self.pt = pt
            H = pt.hidden
            self.nets = {"wx": Network(pt.wx)}
            if pt.wh is not None:
                self.nets["wh"] = Network(pt.wh)
            self.fparams = nn.ParameterDict()
            self.flist = {}
            for role, net in self.nets.items():
                s = net.init_std(pt.fan_in(role))
                ps = []
                for label, shp, _ in net.factors:
                    p = nn.Parameter(torch.randn(shp, generator=gen) * s)
                    self.fparams[f"{role}_{label}"] = p
                    ps.append(p)
                self.flist[role] = ps
            b = torch.zeros(4 * H)
            b[H:2 * H] = 1.0
            self.bias = nn.Parameter(b)
            self.fc_weight = nn.Parameter(torch.randn((classes, H), generator=gen) / math.sqrt(H))
            self.fc_bias = nn.Parameter(torch.zeros(classes))
            self.register_buffer("bias_hh", torch.zeros(4 * H), persistent=False)
            self.impl = "dense"

        def nparams(self):
            return sum(p.numel() for p in self.parameters())

        def dense_w(self, role):
            return self.nets[role].reconstruct(self.flist[role])

        def torch_layout(self):
            """weight_ih (4H x n_in), weight_hh (4H x H), as in nn.LSTM.
            Built as transposed views of a contiguous W^T: the GEMMs' weight
            gradients come back in that (column-major) layout, so for concat
            the backward of the split is one contiguous concatenation rather
            than a strided gather of a full-size matrix."""
            pt = self.pt
            WT = self.nets["wx"].reconstruct(self.flist["wx"], transposed=True)
            if pt.decomp == "concat":
                rest = pt.n_pad - pt.n_in - pt.hidden
                parts = torch.split(WT, [pt.n_in, pt.hidden] + ([rest] if rest else []), dim=0)
                return parts[0].t(), parts[1].t()
            WhT = self.nets["wh"].reconstruct(self.flist["wh"], transposed=True)
            return WT.t(), WhT.t()

        @staticmethod
        def cell(z, c):
            i, f, g, o = z.chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            return torch.sigmoid(o) * torch.tanh(c), c

        def forward(self, x, impl=None):
            impl = impl or self.impl
            pt = self.pt
            B, T, n_in = x.shape
            H = pt.hidden
            h = x.new_zeros(B, H)
            c = x.new_zeros(B, H)
            if impl == "dense" and FUSED:
                # the reconstructed matrices through PyTorch's own LSTM kernel
                # (what nn.LSTM runs: x GEMM over all frames, fused recurrence)
                Wx, Wh = self.torch_layout()
                _, hn, _ = torch._VF.lstm(x, (h[None], c[None]),
                                          [Wx, Wh, self.bias, self.bias_hh],
                                          True, 1, 0.0, self.training, False, True)
                h = hn[0]
            elif impl in ("dense", "dense-loop"):
                Wx, Wh = self.torch_layout()
                zx = F.linear(x.reshape(B * T, n_in), Wx, self.bias).view(B, T, 4 * H)
                for zt in zx.unbind(1):
                    h, c = self.cell(zt + F.linear(h, Wh), c)
            elif pt.decomp == "concat":
                net, ps = self.nets["wx"], self.flist["wx"]
                zpad = x.new_zeros(B, pt.n_pad - n_in - H)
                for xt in x.unbind(1):
                    z = net.apply(ps, torch.cat([xt, h, zpad], 1)) + self.bias
                    h, c = self.cell(z, c)
            else:
                zx = self.nets["wx"].apply(self.flist["wx"], x.reshape(B * T, n_in))
                zx = (zx + self.bias).view(B, T, 4 * H)
                neth, psh = self.nets["wh"], self.flist["wh"]
                for zt in zx.unbind(1):
                    h, c = self.cell(zt + neth.apply(psh, h), c)
            return F.linear(h, self.fc_weight, self.fc_bias)


def macs_per_clip(pt, impl, T, B, classes):
    """Forward MACs per clip (training = 3x: forward + two backward GEMMs).
    dense: the GEMMs of the reconstructed matrices plus each reconstruction
    divided by the batch; factored: the contraction order's MACs per frame;
    torch: nn.LSTM's dense 4H x (n_in + H)."""
    H = pt.hidden
    fc = H * classes
    if impl == "torch":
        return T * 4 * H * (pt.n_in + H) + fc
    nx = Network(pt.wx)
    nh = Network(pt.wh) if pt.wh is not None else None
    if impl == "dense":
        rec = nx.rec_macs + (nh.rec_macs if nh else 0)
        return T * 4 * H * (pt.n_in + H) + fc + rec / B
    if pt.decomp == "concat":
        return T * nx.app_macs + fc
    return T * (nx.app_macs + nh.app_macs) + fc


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------

def load_split(d, name, required=True):
    px, py = os.path.join(d, f"{name}_x.npy"), os.path.join(d, f"{name}_y.npy")
    if not os.path.exists(px) or not os.path.exists(py):
        if required:
            die(f"{d}: {name}_x.npy / {name}_y.npy missing")
        return None
    try:
        x = np.load(px, allow_pickle=False)
        y = np.load(py, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - one line for any bad file
        die(f"{d}: cannot read {name} split: {e}")
    if x.ndim != 3:
        die(f"{px}: expected (clips, T, n_in), got shape {x.shape}")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        die(f"{py}: expected ({x.shape[0]},) labels, got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        die(f"{py}: labels must be integers (got {y.dtype})")
    if x.shape[0] == 0:
        die(f"{px}: no clips")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        die(f"{px}: NaN or Inf in the clips")
    return x, y.astype(np.int64)


def load_data(d, n_in):
    if not os.path.isdir(d):
        die(f"{d}: not a directory")
    tr = load_split(d, "train")
    te = load_split(d, "test")
    va = load_split(d, "val", required=False)
    T = tr[0].shape[1]
    for nm, s in (("train", tr), ("test", te), ("val", va)):
        if s is None:
            continue
        if s[0].shape[2] != n_in:
            die(f"{d}: {nm} clips have n_in {s[0].shape[2]}, the point {n_in}")
        if s[0].shape[1] != T:
            die(f"{d}: {nm} clips have {s[0].shape[1]} frames, train {T}")
    if tr[1].min() < 0:
        die(f"{d}: negative train label")
    classes = int(tr[1].max()) + 1
    for nm, s in (("test", te), ("val", va)):
        if s is not None and (s[1].min() < 0 or s[1].max() >= classes):
            die(f"{d}: {nm} label out of range 0..{classes - 1}")
    return tr, te, va, classes, T


def evaluate(fwd, x, y, bs=256):
    """(accuracy, mean cross-entropy) of fwd over (x, y), batched, no grad."""
    correct, loss = 0, 0.0
    with torch.no_grad():
        for s in range(0, len(x), bs):
            xb = torch.from_numpy(x[s:s + bs])
            yb = torch.from_numpy(y[s:s + bs])
            lg = fwd(xb)
            loss += F.cross_entropy(lg, yb, reduction="sum").item()
            correct += (lg.argmax(1) == yb).sum().item()
    return correct / len(x), loss / len(x)


# --------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------

def train_step(model, opt, params, xb, yb, clip, impl, step=True):
    out = model(xb, impl)
    loss = F.cross_entropy(out, yb)
    opt.zero_grad(set_to_none=False)
    loss.backward()
    if step:
        torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
    else:
        opt.zero_grad(set_to_none=False)
    return loss.item(), (out.argmax(1) == yb).sum().item()


def cmd_train(a):
    need_torch()
    torch.set_num_threads(a.threads)
    try:
        pt = Point(a.point)
    except ValueError as e:
        die(f"point: {e}")
    (xtr, ytr), (xte, yte), va, classes, T = load_data(a.data, pt.n_in)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    model = DecLSTM(pt, classes, gen)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    n = len(xtr)
    bs = a.batch
    impl = a.impl
    tune = {}
    t_tune = 0.0
    if impl == "auto":
        t0 = time.perf_counter()
        # the first clips measure both (no update is made; the shuffles are
        # those of an explicit --impl run)
        xb, yb = torch.from_numpy(xtr[:bs]), torch.from_numpy(ytr[:bs])
        for cand in ("dense", "factored"):
            train_step(model, opt, params, xb, yb, a.clip, cand, step=False)  # warm-up
            t1 = time.perf_counter()
            train_step(model, opt, params, xb, yb, a.clip, cand, step=False)
            tune[cand] = time.perf_counter() - t1
        impl = min(tune, key=tune.get)
        t_tune = time.perf_counter() - t0
    model.impl = impl
    tty = sys.stderr.isatty()
    t_train = 0.0
    seen = 0
    for ep in range(a.epochs):
        t0 = time.perf_counter()
        perm = rng.permutation(n)
        ls, ok = 0.0, 0
        for s in range(0, n, bs):
            idx = perm[s:s + bs]
            xb, yb = torch.from_numpy(xtr[idx]), torch.from_numpy(ytr[idx])
            l, c = train_step(model, opt, params, xb, yb, a.clip, impl)
            ls += l * len(idx)
            ok += c
            seen += len(idx)
            if tty and not a.json:
                el = t_train + time.perf_counter() - t0
                print(f"\repoch {ep + 1}/{a.epochs} {s + len(idx)}/{n} loss {ls / (s + len(idx)):.4f} "
                      f"{seen / el:.0f} clips/s", end="", file=sys.stderr)
        t_train += time.perf_counter() - t0
        msg = (f"epoch {ep + 1}/{a.epochs}: loss {ls / n:.4f} train acc (running) {ok / n:.4f} "
               f"{seen / t_train:.1f} clips/s")
        if va is not None:
            msg += f" val acc {evaluate(model, va[0], va[1])[0]:.4f}"
        if not a.json or a.verbose:
            print(("\r" if tty else "") + msg, file=sys.stderr)
    model.impl = "dense"  # evaluation: one reconstruction, fastest
    te_acc, te_loss = evaluate(model, xte, yte)
    tr_acc, tr_loss = evaluate(model, xtr, ytr)
    res = {
        "tool": "torch_lstm.py", "torch": torch.__version__,
        "point": pt.text, "dataset": os.path.abspath(a.data),
        "params": model.nparams(), "classes": classes, "frames": T,
        "train_clips": n, "test_clips": len(xte),
        "test_accuracy": te_acc, "test_loss": te_loss,
        "train_accuracy": tr_acc, "train_loss": tr_loss,
        "epochs": a.epochs, "batch": bs, "lr": a.lr, "clip": a.clip, "seed": a.seed,
        "impl": impl, "threads": a.threads,
        "seconds": round(t_train, 3), "clips_per_s": round(seen / t_train, 2) if t_train > 0 else 0,
    }
    if va is not None:
        res["val_accuracy"], res["val_loss"] = evaluate(model, va[0], va[1])
    if tune:
        res["autotune_s_per_batch"] = {k: round(v, 5) for k, v in tune.items()}
        res["autotune_seconds"] = round(t_tune, 3)
    if a.save:
        save_model(model, pt, classes, T, a.save, res)
        res["saved"] = os.path.abspath(a.save)
    if a.json:
        print(json.dumps(res))
    else:
        for k in ("params", "test_accuracy", "test_loss", "train_accuracy", "val_accuracy",
                  "impl", "seconds", "clips_per_s"):
            if k in res:
                print(f"{k:16s} {res[k]}")


def save_model(model, pt, classes, T, d, res):
    """The `dse train --save DIR` layout: factors, bias, classifier,
    manifest.json, and the PyTorch layout."""
    os.makedirs(d, exist_ok=True)

    def w(name, t):
        np.save(os.path.join(d, name), np.ascontiguousarray(t.detach().numpy().astype(np.float32)))

    facts = []
    for role, net in model.nets.items():
        for (label, shp, idx), p in zip(net.factors, model.flist[role]):
            fn = f"{role}_{label}.npy"
            w(fn, p)
            facts.append({"file": fn, "role": role, "label": label, "format": net.mat.fmt,
                          "shape": list(shp), "indices": idx})
    with torch.no_grad():
        wih, whh = model.torch_layout()
        w("weight_ih_l0.npy", wih)
        w("weight_hh_l0.npy", whh)
        w("bias.npy", model.bias)
        w("bias_ih_l0.npy", model.bias)
        w("bias_hh_l0.npy", torch.zeros_like(model.bias))
        w("fc_weight.npy", model.fc_weight)
        w("fc_bias.npy", model.fc_bias)
    man = {
        "point": pt.text, "network": pt.network,
        "n_in": pt.n_in, "hidden": pt.hidden, "classes": classes, "frames": T,
        "decomp": pt.decomp, "n_pad": pt.n_pad if pt.decomp == "concat" else 0,
        "factors": facts,
        "bias": {"file": "bias.npy", "shape": [4 * pt.hidden], "gates": "i,f,g,o"},
        "classifier": {"weight": "fc_weight.npy", "bias": "fc_bias.npy",
                       "shape": [classes, pt.hidden]},
        "pytorch": {"weight_ih_l0": "weight_ih_l0.npy", "weight_hh_l0": "weight_hh_l0.npy",
                    "bias_ih_l0": "bias_ih_l0.npy", "bias_hh_l0": "bias_hh_l0.npy",
                    "fc_weight": "fc_weight.npy", "fc_bias": "fc_bias.npy"},
        "conventions": ("W (M x N) tensorized row-major over modes (mode 1 most significant); "
                        "dense (M,N); TT core (r_{k-1},m_k,n_k,r_k) end bonds omitted; HT leaf "
                        "(m_k,n_k,r_k), internal (r_left,r_right,r_t), root (r_left,r_right); "
                        "gates i,f,g,o; logits = fc_weight h_T + fc_bias"),
        "index_names": "m<k>, n<k> modes; r<label> HT rank of a node; b<k> TT bond between cores k and k+1",
        "trained_by": "tools/torch_lstm.py",
        "test_accuracy": res["test_accuracy"], "test_loss": res["test_loss"],
    }
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)


# --------------------------------------------------------------------------
# check-export
# --------------------------------------------------------------------------

def numerical_rank(A, rel=1e-4, exact_max=2500, sketch=64, seed=0):
    """Number of singular values > rel * largest of A (float64); exact SVD
    when the small side is <= exact_max, else the singular values of a
    randomized range sketch of width `sketch` (exact as long as the rank is
    well below the sketch width, which is what is being checked)."""
    A = np.asarray(A, dtype=np.float64)
    if min(A.shape) <= exact_max:
        s = np.linalg.svd(A, compute_uv=False)
        how = "svd"
    else:
        if A.shape[0] < A.shape[1]:
            A = A.T
        g = np.random.default_rng(seed).standard_normal((A.shape[1], sketch))
        Q, _ = np.linalg.qr(A @ g)
        s = np.linalg.svd(Q.T @ A, compute_uv=False)
        how = f"sketch{sketch}"
        if (s > rel * s[0]).sum() >= sketch:
            how += " (saturated: rank >= the sketch width)"
    if s.size == 0 or s[0] == 0:
        return 0, how
    return int((s > rel * s[0]).sum()), how


def matricization_ranks(net, W):
    mat = net.mat
    d = mat.d
    Tn = W.reshape(tuple(mat.m) + tuple(mat.n))
    out = []
    for label, named, modes in net.node_masks():
        rows = [k for k in range(d) if k in modes]
        cols = [k for k in range(d) if k not in modes]
        perm = [k for k in rows] + [d + k for k in rows] + [k for k in cols] + [d + k for k in cols]
        nr = math.prod(mat.m[k] * mat.n[k] for k in rows)
        A = np.transpose(Tn, perm).reshape(nr, -1)
        r, how = numerical_rank(A)
        out.append({"node": label, "named_rank": named, "numerical_rank": r, "method": how,
                    "shape": list(A.shape)})
    return out


def cmd_check_export(a):
    need_torch()
    torch.set_num_threads(a.threads)
    d = a.dir
    mp = os.path.join(d, "manifest.json")
    try:
        with open(mp) as f:
            man = json.load(f)
    except (OSError, ValueError) as e:
        die(f"{mp}: {e}")
    try:
        pt = Point(man["point"])
    except (KeyError, ValueError) as e:
        die(f"{mp}: point: {e}")
    H, n_in = pt.hidden, pt.n_in

    def ld(name, shape):
        p = os.path.join(d, name)
        try:
            v = np.load(p, allow_pickle=False)
        except Exception as e:  # noqa: BLE001
            die(f"{p}: {e}")
        if shape is not None and tuple(v.shape) != tuple(shape):
            die(f"{p}: shape {v.shape}, expected {tuple(shape)}")
        return np.ascontiguousarray(v, dtype=np.float32)

    wih = ld("weight_ih_l0.npy", (4 * H, n_in))
    whh = ld("weight_hh_l0.npy", (4 * H, H))
    bih = ld("bias_ih_l0.npy", (4 * H,))
    bhh = ld("bias_hh_l0.npy", (4 * H,))
    fcw = ld("fc_weight.npy", None)
    if fcw.ndim != 2 or fcw.shape[1] != H:
        die(f"fc_weight.npy: shape {fcw.shape}, expected (classes, {H})")
    classes = fcw.shape[0]
    fcb = ld("fc_bias.npy", (classes,))
    if not os.path.isdir(a.data):
        die(f"{a.data}: not a directory")
    xte, yte = load_split(a.data, "test")  # only the test split is read
    if xte.shape[2] != n_in:
        die(f"{a.data}: test clips have n_in {xte.shape[2]}, the point {n_in}")
    if yte.min() < 0 or yte.max() >= classes:
        die(f"{a.data}: test label out of range 0..{classes - 1} (the export has {classes} classes)")
    lstm = nn.LSTM(n_in, H, batch_first=True)
    fc = nn.Linear(H, classes)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(wih))
        lstm.weight_hh_l0.copy_(torch.from_numpy(whh))
        lstm.bias_ih_l0.copy_(torch.from_numpy(bih))
        lstm.bias_hh_l0.copy_(torch.from_numpy(bhh))
        fc.weight.copy_(torch.from_numpy(fcw))
        fc.bias.copy_(torch.from_numpy(fcb))

    def fwd(x):
        out, _ = lstm(x)
        return fc(out[:, -1])

    acc, loss = evaluate(fwd, xte, yte)
    res = {"dir": os.path.abspath(d), "point": pt.text, "test_accuracy": acc, "test_loss": loss,
           "test_clips": len(xte)}
    if "test_accuracy" in man:
        res["reported_test_accuracy"] = man["test_accuracy"]
        res["accuracy_matches"] = abs(man["test_accuracy"] - acc) < 1e-12
    # The dense matrices whose matricizations the format bounds.  For concat
    # with n_pad > n_in + H the export has no padding columns: appended as
    # zeros they generally RAISE the ranks (zeroing a non-separable block of
    # a low-rank tensor), so the real check is on the full 4H x n_pad
    # reconstruction from the factor files, when they are there.
    real_cols = n_in + H if pt.decomp == "concat" else None
    mats = []
    if pt.decomp == "concat":
        W = np.zeros((4 * H, pt.n_pad), dtype=np.float64)
        W[:, :n_in] = wih
        W[:, n_in:n_in + H] = whh
        mats.append(("wx", pt.wx, W))
    else:
        mats.append(("wx", pt.wx, wih.astype(np.float64)))
        if pt.wh.fmt != "dense":
            mats.append(("wh", pt.wh, whh.astype(np.float64)))
    res["ranks"] = {}          # of the exported matrix (concat: zero-padded)
    res["ranks_factors"] = {}  # of the factors' full reconstruction (concat with padding)
    res["factor_check"] = {}
    ok = True
    for role, mat, E in mats:
        net = Network(mat)
        nc = real_cols if role == "wx" and real_cols else mat.cols
        files = [os.path.join(d, f"{role}_{lab}.npy") for lab, _, _ in net.factors]
        R = None
        if all(os.path.exists(p) for p in files):
            ps = [torch.from_numpy(ld(os.path.basename(p), shp).astype(np.float64))
                  for p, (_, shp, _) in zip(files, net.factors)]
            with torch.no_grad():
                R = net.reconstruct(ps).numpy()
            res["factor_check"][role] = float(np.abs(R[:, :nc] - E[:, :nc]).max()
                                              / max(np.abs(E).max(), 1e-30))
        rk = matricization_ranks(net, E)
        if not rk:
            continue
        res["ranks"][role] = rk
        res[f"{role}_max_numerical_rank"] = max(r["numerical_rank"] for r in rk)
        res[f"{role}_max_named_rank"] = max(r["named_rank"] for r in rk)
        verdict = rk
        if R is not None and nc < mat.cols:
            rf = matricization_ranks(net, R)
            res["ranks_factors"][role] = rf
            res[f"{role}_max_numerical_rank_factors"] = max(r["numerical_rank"] for r in rf)
            verdict = rf
        ok = ok and all(r["numerical_rank"] <= r["named_rank"] for r in verdict)
    res["ranks_within_named"] = ok
    if a.json:
        print(json.dumps(res))
    else:
        print(f"test_accuracy    {acc}")
        print(f"test_loss        {loss}")
        if "reported_test_accuracy" in res:
            print(f"reported         {res['reported_test_accuracy']} "
                  f"({'matches' if res['accuracy_matches'] else 'DIFFERS'})")
        for role, rk in res["ranks"].items():
            print(f"{role} matricization ranks (node: numerical / named):")
            for r in rk:
                print(f"  {r['node']:>8s}: {r['numerical_rank']:4d} / {r['named_rank']}  "
                      f"({r['shape'][0]} x {r['shape'][1]}, {r['method']})")
            print(f"  max {res[role + '_max_numerical_rank']} / {res[role + '_max_named_rank']}")
        for role, rk in res["ranks_factors"].items():
            print(f"{role} ranks of the factors' full {4 * H} x {pt.n_pad} reconstruction "
                  f"(the padding columns too; node: numerical / named):")
            for r in rk:
                print(f"  {r['node']:>8s}: {r['numerical_rank']:4d} / {r['named_rank']}  "
                      f"({r['shape'][0]} x {r['shape'][1]}, {r['method']})")
        for role, e in res["factor_check"].items():
            print(f"{role} factors reconstruct the export: max rel diff {e:.3g}")
        print(f"ranks within the named ranks: {ok}"
              + (" (judged on the factors' reconstruction)" if res["ranks_factors"] else ""))


# --------------------------------------------------------------------------
# bench
# --------------------------------------------------------------------------

class TorchLSTM(nn.Module if torch is not None else object):
    def __init__(self, n_in, H, classes):
        super().__init__()
        self.lstm = nn.LSTM(n_in, H, batch_first=True)
        self.fc = nn.Linear(H, classes)

    def forward(self, x, impl=None):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def cmd_bench(a):
    need_torch()
    torch.set_num_threads(1)
    try:
        pt = Point(a.point)
    except ValueError as e:
        die(f"point: {e}")
    classes = 10
    B, T = a.batch, a.frames
    gen = torch.Generator().manual_seed(a.seed)
    x = torch.randn((B, T, pt.n_in), generator=gen)
    y = torch.randint(0, classes, (B,), generator=gen)
    impls = a.impls.split(",")
    for impl in impls:
        if impl == "torch":
            model = TorchLSTM(pt.n_in, pt.hidden, classes)
        elif impl in ("dense", "factored"):
            model = DecLSTM(pt, classes, gen)
        else:
            die(f"unknown impl {impl}")
        params = list(model.parameters())
        opt = torch.optim.Adam(params, lr=1e-3)
        t0 = time.perf_counter()
        train_step(model, opt, params, x, y, 1.0, impl)  # warm-up
        warm = time.perf_counter() - t0
        it, t0 = 0, time.perf_counter()
        while it < a.iters:
            train_step(model, opt, params, x, y, 1.0, impl)
            it += 1
            if time.perf_counter() - t0 > a.max_seconds:
                break
        el = time.perf_counter() - t0
        fwd = macs_per_clip(pt, impl, T, B, classes)
        r = {"side": "pytorch", "impl": impl if impl != "torch" else "nn.LSTM",
             "clips_per_s": round(B * it / el, 3), "macs_per_clip": int(round(3 * fwd)),
             "macs_fwd_per_clip": int(round(fwd)), "params": sum(p.numel() for p in params),
             "iters": it, "seconds": round(el, 3), "warmup_s": round(warm, 3),
             "batch": B, "frames": T, "threads": 1, "torch": torch.__version__,
             "point": pt.network}
        if impl == "factored":
            nets = [Network(pt.wx)] + ([Network(pt.wh)] if pt.wh is not None else [])
            r["order"] = "/".join(n.app_order for n in nets)
        print(json.dumps(r), flush=True)
        del model, opt, params


# --------------------------------------------------------------------------
# synth: a small sequence task
# --------------------------------------------------------------------------

def synth_split(rng, clips, T, hgt, wid, speed, noise):
    """A Gaussian blob moves in a straight line toward one of the four
    quadrants (label 0: up-left, 1: up-right, 2: down-left, 3: down-right)
    from a random start; start ranges overlap so that the last frame alone
    does not tell the direction."""
    y = rng.integers(0, 4, clips)
    x = np.empty((clips, T, hgt * wid), dtype=np.float32)
    yy, xx = np.mgrid[0:hgt, 0:wid].astype(np.float32)
    for c in range(clips):
        dy = -1 if y[c] < 2 else 1
        dx = -1 if y[c] % 2 == 0 else 1
        sp = speed * rng.uniform(0.7, 1.3, 2)
        p = []
        for dirn, size, v in ((dy, hgt, sp[0]), (dx, wid, sp[1])):
            lo, hi = 0.5, size - 1.5
            if dirn > 0:
                s0 = rng.uniform(lo, max(lo, hi - v * (T - 1)))
            else:
                s0 = rng.uniform(min(hi, lo + v * (T - 1)), hi)
            p.append(s0 + dirn * v * np.arange(T))
        for t in range(T):
            img = np.exp(-((yy - p[0][t]) ** 2 + (xx - p[1][t]) ** 2) / 1.5)
            x[c, t] = img.ravel() + noise * rng.standard_normal(hgt * wid)
    return x, y.astype(np.int64)


def cmd_synth(a):
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.dir, exist_ok=True)
    for name, n in (("train", a.train), ("val", a.val), ("test", a.test)):
        if n <= 0:
            continue
        x, y = synth_split(rng, n, a.frames, a.height, a.width, a.speed, a.noise)
        np.save(os.path.join(a.dir, f"{name}_x.npy"), x)
        np.save(os.path.join(a.dir, f"{name}_y.npy"), y)
    print(f"wrote {a.dir}: n_in {a.height * a.width}, {a.frames} frames, 4 classes, "
          f"train {a.train} / val {a.val} / test {a.test} clips")


# --------------------------------------------------------------------------
# selftest: factored == dense, reconstruction == a naive contraction
# --------------------------------------------------------------------------

SELFTEST_POINTS = [
    "lstm;nin=64;h=16;dec=partial/wx;f=dense;m=64;n=64/wh;f=dense;m=64;n=16",
    "lstm;nin=64;h=16;dec=partial/wx;f=tt;m=4x4x4;n=4x4x4;r=1,3,5,1/wh;f=dense;m=64;n=16",
    "lstm;nin=64;h=16;dec=separate/wx;f=ht;m=4x4x2x2;n=4x2x4x2;t=((1:3,2:4):5,(3:2,4:4):3);o=1;df=wp"
    "/wh;f=ht;m=4x4x4;n=4x2x2;t=((1:4,3:2):3,2:4)/hw;P=16",
    "lstm;nin=64;h=16;dec=concat;pad=96/wx;f=ht;m=4x4x2x2;n=4x4x3x2;t=(((1:3,3:4):4,2:2):5,4:2)",
    "lstm;nin=64;h=16;dec=concat;pad=80/wx;f=tt;m=4x4x4;n=4x4x5;r=1,4,4,1",
    "lstm;nin=64;h=16;dec=separate/wx;f=tt;m=2x2x2x2x2x2;n=2x2x2x2x2x2;r=1,2,3,4,3,2,1"
    "/wh;f=tt;m=8x8;n=4x4;r=1,4,1",
]


def naive_reconstruct(net, ps):
    """W by one numpy einsum over all factors (a check of the pairwise plan)."""
    L = net.letter
    ops, subs = [], []
    for f, (_, _, idx) in enumerate(net.factors):
        ops.append(ps[f].detach().double().numpy().reshape(net.view_shape(f)))
        subs.append("".join(L[i] for i in idx))
    out = "".join(L[i] for i in net.yidx + net.xidx)
    W = np.einsum(",".join(subs) + "->" + out, *ops, optimize=True)
    return W.reshape(net.mat.rows, net.mat.cols)


def cmd_selftest(a):
    need_torch()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    bad = 0
    for s in SELFTEST_POINTS:
        pt = Point(s)
        m = DecLSTM(pt, 5, torch.Generator().manual_seed(1))
        x = torch.randn(3, 4, pt.n_in, generator=torch.Generator().manual_seed(2))
        yd, yf = m(x, "dense"), m(x, "factored")
        e1 = (yd - yf).abs().max().item()
        e2 = 0.0
        for role, net in m.nets.items():
            W = m.dense_w(role).detach().numpy()
            e2 = max(e2, np.abs(W - naive_reconstruct(net, m.flist[role])).max())
        # gradients agree too
        gd = torch.autograd.grad(yd.square().sum(), list(m.parameters()))
        gf = torch.autograd.grad(m(x, "factored").square().sum(), list(m.parameters()))
        e3 = max((p - q).abs().max().item() for p, q in zip(gd, gf))
        ok = e1 < 1e-10 and e2 < 1e-10 and e3 < 1e-9
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} fwd {e1:.2e} rec {e2:.2e} grad {e3:.2e}  {pt.network}")
    torch.set_default_dtype(torch.float32)
    sys.exit(1 if bad else 0)


# --------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(prog="torch_lstm.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("train", help="train a point's decomposed LSTM (factors are the parameters)")
    p.add_argument("--point", required=True, help="point string (an lstm work section; hw ignored)")
    p.add_argument("--data", required=True, help="directory of train_x.npy ... test_y.npy")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--clip", type=float, default=1.0, help="global gradient-norm clip (1.0)")
    p.add_argument("--impl", choices=("auto", "dense", "factored"), default="auto",
                   help="dense: reconstruct W once per mini-batch; factored: contract x "
                        "through the factors; auto: the faster on 2 warm-up batches")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--save", metavar="DIR", help="write the `dse train --save` layout")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--verbose", action="store_true", help="per-epoch lines even with --json")
    p.set_defaults(fn=cmd_train)

    p = sub.add_parser("check-export", help="load a --save export into torch.nn.LSTM, test it")
    p.add_argument("--dir", required=True, help="the export (manifest.json, weight_ih_l0.npy, ...)")
    p.add_argument("--data", required=True, help="directory of .npy splits (test is used)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_check_export)

    p = sub.add_parser("bench", help="training clips/s on one thread, per implementation")
    p.add_argument("--point", required=True)
    p.add_argument("--frames", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--iters", type=int, default=5, help="timed mini-batches (after 1 warm-up)")
    p.add_argument("--max-seconds", type=float, default=20.0,
                   help="stop timing an impl after this long (at least one batch)")
    p.add_argument("--impls", default="dense,factored,torch",
                   help="comma list of dense, factored, torch (nn.LSTM)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="(always JSON lines; accepted)")
    p.set_defaults(fn=cmd_bench)

    p = sub.add_parser("synth", help="write a small synthetic data set (moving blob, 4 classes)")
    p.add_argument("--dir", required=True)
    p.add_argument("--height", type=int, default=8)
    p.add_argument("--width", type=int, default=8)
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--train", type=int, default=3000)
    p.add_argument("--val", type=int, default=200)
    p.add_argument("--test", type=int, default=500)
    p.add_argument("--speed", type=float, default=0.3, help="pixels per frame")
    p.add_argument("--noise", type=float, default=0.4)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(fn=cmd_synth)

    p = sub.add_parser("selftest", help="factored == dense forward/gradients on every format")
    p.set_defaults(fn=cmd_selftest)

    a = ap.parse_args(argv)
    for k in ("epochs", "batch", "threads", "iters", "frames"):
        if getattr(a, k, 1) is not None and getattr(a, k, 1) < 1:
            die(f"--{k} must be >= 1")
    a.fn(a)


if __name__ == "__main__":
    main()
