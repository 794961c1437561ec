"""Cross-input neighborhood differences (Ahmed, Jones & Marks, CVPR 2015), plain and fused.

For two feature maps ``f, g`` of shape ``(B, C, H, W)`` the paper defines, per channel ``i`` and
position ``(x, y)``, the ``k × k`` block

    K_i(x, y) = f_i(x, y) · 1(k, k) − N[g_i(x, y)]

where ``N[g_i(x, y)]`` is the ``k × k`` neighbourhood of ``g_i`` centred at ``(x, y)`` (zero
outside the map). Laid side by side the blocks form a ``(B, C, kH, kW)`` map. The network applies a
ReLU and then the *patch summary* convolution (``k × k`` kernels, stride ``k``), which sees exactly
one block per output position. So ND + ReLU + patch summary is, at every position,

    L_o(x, y) = b_o + Σ_{c, dy, dx} W[o, c, dy, dx] · relu(f_c(x, y) − g_c(x + dy − p, y + dx − p))

with ``p = k // 2``: a dense layer over each position's ``(C, k, k)`` block of differences.
:func:`neighborhood_difference_summary` computes that directly — one subtraction into a
``(C·k², H·W)`` matrix per pair and one matrix product — so the tiled map is never laid out, and
a custom backward recomputes the differences instead of storing them.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from .chunking import batch_chunks, chunk_budget


def _check_pair(f: Tensor, g: Tensor, kernel_size: int) -> None:
    if f.dim() != 4 or f.shape != g.shape:
        raise ValueError(f'f and g must be feature maps of the same shape (B, C, H, W); '
                         f'got {tuple(f.shape)} and {tuple(g.shape)}')
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f'kernel_size must be a positive odd integer; got {kernel_size}')


def _neighbourhoods(g: Tensor, kernel_size: int) -> Tensor:
    """``(B, C, k, k, H, W)``: ``[..., dy, dx, x, y] = g(x + dy − p, y + dx − p)``, zero-padded
    (``F.unfold``, which ONNX export knows)."""
    b, c, h, w = g.shape
    windows = F.unfold(g, kernel_size, padding=kernel_size // 2)      # (B, C·k², H·W)
    return windows.unflatten(1, (c, kernel_size, kernel_size)).unflatten(-1, (h, w))


def neighborhood_difference(f: Tensor, g: Tensor, kernel_size: int = 5) -> Tensor:
    """The paper's tiled map ``K`` (before the ReLU).

    Args:
        f, g: ``(B, C, H, W)``.
    Returns:
        ``(B, C, k·H, k·W)``; block ``[k·x : k·x + k, k·y : k·y + k]`` is ``K(x, y)``.
    """
    _check_pair(f, g, kernel_size)
    b, c, h, w = f.shape
    k = kernel_size
    blocks = f[:, :, None, None] - _neighbourhoods(g, k)        # (B, C, k, k, H, W)
    return blocks.permute(0, 1, 4, 2, 5, 3).reshape(b, c, k * h, k * w)


def _wide_rows(x: Tensor, kernel_size: int) -> Tensor:
    """``(B, C, H, W)`` → ``(B, C, H·W')`` with ``W' = W + 2p`` (junk zero columns on the right)."""
    p = kernel_size // 2
    return F.pad(x, (0, 2 * p)).flatten(2)


def _wide_neighbourhoods(g: Tensor, kernel_size: int) -> Tensor:
    """View ``(B, C, k, k, H·W')``: ``[..., dy, dx, x·W' + y] = g(x + dy − p, y + dx − p)``.

    ``g`` is zero-padded to ``W' = W + 2p`` columns (and one spare row), flattened, and for each
    ``(dy, dx)`` the map is the contiguous run starting at ``dy·W' + dx``: the innermost loop of the
    subtraction runs over ``H·W'`` contiguous values instead of ``W``. Columns ``y ≥ W`` are junk.
    """
    p = kernel_size // 2
    b, c, h, w = g.shape
    width = w + 2 * p
    padded = F.pad(g, (p, p, p, p + 1))
    length = padded.shape[2] * width
    return padded.as_strided((b, c, kernel_size, kernel_size, h * width),
                             (c * length, length, width, 1, 1))


def _relu_differences(f: Tensor, g: Tensor, kernel_size: int) -> Tensor:
    """``relu(f(x, y) − g(x + dy − p, y + dx − p))`` as a contiguous ``(B, C·k², H·W')`` matrix
    (junk columns ``y ≥ W``, see :func:`_wide_neighbourhoods`)."""
    b, c, h, w = f.shape
    k = kernel_size
    out = f.new_empty(b, c, k, k, h * (w + 2 * (k // 2)))
    torch.sub(_wide_rows(f, k)[:, :, None, None], _wide_neighbourhoods(g, k), out=out)
    return out.relu_().view(b, c * k * k, -1)


def _neighbourhood_adjoint(grad: Tensor, height: int, width: int, kernel_size: int) -> Tensor:
    """Adjoint of :func:`_wide_neighbourhoods`: ``(B, C, k, k, H·W')`` → ``(B, C, H, W)``, summing
    each value back onto the pixel of ``g`` it was read from (offset ``dy·W' + dx`` in the padded,
    flattened map). Separable: the ``k`` column shifts first (for every ``dy`` at once), then the
    ``k`` row shifts — ``2k`` additions instead of ``k²``."""
    k, p = kernel_size, kernel_size // 2
    wide = width + 2 * p
    length = height * wide
    rows = grad.new_zeros(*grad.shape[:3], length + k - 1)       # Σ_dx, shifted by dx
    for dx in range(k):
        rows[..., dx:dx + length] += grad[:, :, :, dx]
    padded = grad.new_zeros(*grad.shape[:2], (height + 2 * p + 1) * wide)
    for dy in range(k):
        padded[:, :, dy * wide:dy * wide + rows.shape[-1]] += rows[:, :, dy]
    return padded.view(*grad.shape[:2], -1, wide)[:, :, p:p + height, p:p + width]


class _NeighborhoodDifferenceSummary(torch.autograd.Function):
    """``conv2d(relu(neighborhood_difference(f, g)), weight, bias, stride=k)``, chunked over pairs.

    Saves only ``f``, ``g`` and ``weight``; backward recomputes each chunk's differences. Under
    CUDA autocast (mixed precision) it runs in float32.
    """

    @staticmethod
    @torch.amp.custom_fwd(device_type='cuda', cast_inputs=torch.float32)
    def forward(ctx, f: Tensor, g: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        b, c, h, w = f.shape
        out_channels, k = weight.shape[0], weight.shape[-1]
        wide = w + 2 * (k // 2)
        kernel = weight.reshape(out_channels, -1)                  # (O, C·k²)
        out = f.new_empty(b, out_channels, h * wide)
        for chunk in batch_chunks(b, c * k * k * h * wide,
                                  chunk_budget(f.device, f.element_size())):
            diffs = _relu_differences(f[chunk], g[chunk], k)
            torch.bmm(kernel.expand(len(diffs), -1, -1), diffs, out=out[chunk])
        out = out.view(b, out_channels, h, wide)[..., :w]          # drop the junk columns
        if bias is not None:
            out = out + bias[:, None, None]
        ctx.save_for_backward(f, g, weight)
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    @once_differentiable
    @torch.amp.custom_bwd(device_type='cuda')
    def backward(ctx, grad_out: Tensor):
        f, g, weight = ctx.saved_tensors
        b, c, h, w = f.shape
        out_channels, k = weight.shape[0], weight.shape[-1]
        wide = w + 2 * (k // 2)
        kernel = weight.reshape(out_channels, -1)
        grad = _wide_rows(grad_out, k)                             # zero on the junk columns
        need_f, need_g, need_weight, need_bias = ctx.needs_input_grad
        grad_f = torch.empty_like(f) if need_f else None
        grad_g = torch.empty_like(g) if need_g else None
        grad_kernel = torch.zeros_like(kernel) if need_weight else None
        for chunk in batch_chunks(b, c * k * k * h * wide,
                                  chunk_budget(f.device, f.element_size())):
            diffs = _relu_differences(f[chunk], g[chunk], k)
            if need_weight:
                grad_kernel += torch.bmm(grad[chunk], diffs.transpose(1, 2)).sum(0)
            if need_f or need_g:
                grad_diffs = torch.bmm(kernel.t().expand(len(diffs), -1, -1), grad[chunk])
                grad_diffs = grad_diffs.mul_(diffs.sign_()).view(-1, c, k, k, h * wide)
                if need_f:                                             # relu'(x) = 1[x > 0]
                    grad_f[chunk] = grad_diffs.sum((2, 3)).view(-1, c, h, wide)[..., :w]
                if need_g:
                    grad_g[chunk] = _neighbourhood_adjoint(grad_diffs, h, w, k).neg()
        grad_weight = grad_kernel.view_as(weight) if need_weight else None
        grad_bias = grad_out.sum((0, 2, 3)) if ctx.has_bias and need_bias else None
        return grad_f, grad_g, grad_weight, grad_bias


def neighborhood_difference_summary(f: Tensor, g: Tensor, weight: Tensor,
                                    bias: Tensor | None = None) -> Tensor:
    """Neighborhood difference ``f − N[g]`` + ReLU + patch-summary convolution, fused.

    Equals ``F.conv2d(neighborhood_difference(f, g, k).relu(), weight, bias, stride=k)``.

    Args:
        f, g: ``(B, C, H, W)``.
        weight: ``(O, C, k, k)`` patch-summary kernels, ``k`` odd.
        bias: ``(O,)`` or None.
    Returns:
        ``(B, O, H, W)``.
    """
    if weight.dim() != 4 or weight.shape[1] != f.shape[1] or weight.shape[2] != weight.shape[3]:
        raise ValueError(f'weight must be (O, C, k, k) with C = {f.shape[1]} channels of f; '
                         f'got {tuple(weight.shape)}')
    _check_pair(f, g, weight.shape[-1])
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(f'bias must be ({weight.shape[0]},); got {tuple(bias.shape)}')
    return _NeighborhoodDifferenceSummary.apply(f, g, weight, bias)


class NeighborhoodDifferenceSummary(nn.Module):
    """Both directions of the cross-input neighborhood difference, each followed by its own
    patch-summary convolution (``out_channels @ k × k``, stride ``k``).

    ``forward(f, g)`` maps two ``(B, C, H, W)`` maps to ``(B, 2·O, H, W)``: channels ``[:O]`` summarise
    ``K = f − N[g]`` and ``[O:]`` summarise ``K' = g − N[f]`` (the paper's ``L`` and ``L'``), before the
    network's ReLU.
    """

    def __init__(self, in_channels: int = 25, out_channels: int = 25, kernel_size: int = 5):
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be a positive odd integer; got {kernel_size}')
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.weight = nn.Parameter(torch.empty(2, out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.empty(2, out_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``nn.Conv2d``'s default initialisation, for each direction."""
        bound = 1 / math.sqrt(self.in_channels * self.kernel_size ** 2)
        for direction in range(2):
            nn.init.kaiming_uniform_(self.weight[direction], a=math.sqrt(5))
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, f: Tensor, g: Tensor) -> Tensor:
        if torch.onnx.is_in_onnx_export():    # the definition itself, in standard operators
            k = self.kernel_size
            return torch.cat([
                F.conv2d(neighborhood_difference(f, g, k).relu(), self.weight[0], self.bias[0],
                         stride=k),
                F.conv2d(neighborhood_difference(g, f, k).relu(), self.weight[1], self.bias[1],
                         stride=k),
            ], dim=1)
        return torch.cat([
            neighborhood_difference_summary(f, g, self.weight[0], self.bias[0]),
            neighborhood_difference_summary(g, f, self.weight[1], self.bias[1]),
        ], dim=1)

    def extra_repr(self) -> str:
        return f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}'
