"""Normalized cross-correlation matching (Subramaniam, Chatterjee & Mittal, NIPS 2016).

For two feature maps ``f, g`` of shape ``(B, C, H, W)``, every ``k × k`` patch ``P`` of ``f`` is
compared with the patches ``Q`` of ``g`` inside a search window by

    NCC(P, Q) = Σ_n (P_n − μ_P)(Q_n − μ_Q) / ((N − 1) · σ_P · σ_Q),
    σ_P = sqrt(Σ_n (P_n − μ_P)² / (N − 1) + ε²)

over the ``N`` entries of the patch. As in the paper's public implementation:

* the search window of the patch centred at ``(x, y)`` is every column ``y'`` of ``g`` and the rows
  ``x' ∈ [x − r, x + r]`` (``r = row_radius``, 2 in the paper: "same width, 5 rows");
* patches are ``k × k`` windows of the zero-padded maps, centred at any row of the band (also just
  outside the map);
* ``per_channel=True`` correlates each channel separately (the paper; ``N = k²``, output
  ``C·(2r+1)·W`` values per position, 1500 for the paper's 25 × 37 × 12 maps); ``per_channel=False``
  correlates the whole ``(C, k, k)`` block (``N = C·k²``, ``(2r+1)·W`` values per position).

ε (``1e-2``) regularises flat patches, which ReLU feature maps have plenty of; the public
implementation adds it to σ, here it is added to the variance so that gradients stay finite.

How it is computed. With normalised patches ``P̂ = (P − μ_P)·s_P``, ``s_P = 1 / (sqrt(N − 1) σ_P)``,
NCC is the dot product ``⟨P̂, Q̂⟩``.

* Patch statistics come from box sums of ``x`` and ``x²`` over the small maps
  (``Σ(P − μ)² = ΣP² − (ΣP)² / N``), so each patch buffer is written in a single pass.
* The normalised patches of ``g`` are stored row after row, so the ``(2r+1)·W`` candidates of a row
  are ``(2r+1)·W`` *consecutive* patch vectors — a strided view, not a copy — and one batched matrix
  product over all ``(pair, channel, row)`` yields every correlation. Each (pair, channel) block is
  padded with ``2r`` rows so that rows never straddle blocks; those rows are computed and dropped
  (the output is a view).
* Backward recomputes the patches chunk by chunk instead of storing them. Since every ``P̂`` and
  ``Q̂`` has zero mean, ``∂L/∂P = s_P (G − ⟨G, P̂⟩ P̂)`` with ``G = ∂L/∂P̂`` (the mean term vanishes).
  ``∂L/∂Q̂`` sums over the ``2r + 1`` rows of ``f`` that see a row of ``g``: the output gradient is
  copied once, along anti-diagonals, into a layout where those rows are again consecutive, so it
  is one more batched matrix product.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from .chunking import batch_chunks


def _windows(x: Tensor, kernel_size: int, per_channel: bool, row_pad: int) -> Tensor:
    """View ``(B, G, H + 2·row_pad, W, *patch)`` of the zero-padded ``k × k`` windows centred at rows
    ``−row_pad … H − 1 + row_pad``. ``patch`` is ``(k, k)`` per channel (``G = C``), ``(C, k, k)``
    across channels (``G = 1``)."""
    p = kernel_size // 2
    padded = F.pad(x, (p, p, p + row_pad, p + row_pad))
    windows = padded.unfold(2, kernel_size, 1).unfold(3, kernel_size, 1)  # (B, C, H', W, k, k)
    if per_channel:
        return windows
    return windows.permute(0, 2, 3, 1, 4, 5).unsqueeze(1)


def _patch_statistics(x: Tensor, kernel_size: int, per_channel: bool, eps: float,
                      row_pad: int) -> tuple[Tensor, Tensor]:
    """Mean ``μ`` and factor ``s = 1 / (sqrt(N − 1) σ)`` of the patches of :func:`_windows`, each
    ``(B, G, H + 2·row_pad, W)``, from box sums of ``x`` and ``x²``."""
    p = kernel_size // 2
    padded = F.pad(x, (p, p, p + row_pad, p + row_pad))
    stacked = torch.stack([padded, padded.square()])               # separable k × k box sums
    total, squares = stacked.unfold(3, kernel_size, 1).sum(-1).unfold(4, kernel_size, 1).sum(-1)
    n = kernel_size * kernel_size
    if not per_channel:
        total, squares = total.sum(1, keepdim=True), squares.sum(1, keepdim=True)
        n *= x.shape[1]
    mean = total / n
    centred_squares = (squares - total * mean).clamp_(min=0)     # Σ (P − μ)²
    scale = (centred_squares + (n - 1) * eps * eps).rsqrt_()
    return mean, scale


def _normalized_patches(x: Tensor, kernel_size: int, per_channel: bool, eps: float,
                        row_pad: int, block_height: int, head: int = 0,
                        tail: int = 0) -> tuple[Tensor, Tensor]:
    """Normalised patches ``P̂`` of ``x`` in a ``(head + B·G·block_height + tail, W, N)`` buffer.

    Block ``(b, g)`` holds, row after row, the patches centred at rows ``−row_pad …`` of the map;
    rows past them and the ``head``/``tail`` rows are zero. Returns the buffer and the factor
    ``s`` shaped ``(B·G·block_height, W, 1)`` (zero on the padding rows).
    """
    windows = _windows(x, kernel_size, per_channel, row_pad)
    mean, scale = _patch_statistics(x, kernel_size, per_channel, eps, row_pad)
    b, groups, rows, width = windows.shape[:4]
    size = windows[0, 0, 0, 0].numel()
    buffer = x.new_empty(head + b * groups * block_height + tail, width, size)
    buffer[:head].zero_()
    buffer[len(buffer) - tail:].zero_()
    blocks = buffer[head:len(buffer) - tail].view(b, groups, block_height, width, size)
    blocks[:, :, rows:].zero_()
    patch_dims = (None,) * (windows.dim() - 4)
    torch.addcmul(-(mean * scale)[(...,) + patch_dims], windows, scale[(...,) + patch_dims],
                  out=blocks[:, :, :rows].view(windows.shape))
    factor = scale.new_zeros(b, groups, block_height, width)
    factor[:, :, :rows] = scale
    return buffer, factor.view(-1, width, 1)


def _candidates(g_hat: Tensor, rows: int, band: int) -> Tensor:
    """``(rows, band, N)`` view: the search window of buffer row ``t`` is buffer rows ``t … t + 2r``,
    i.e. ``band = (2r + 1)·W`` consecutive patch vectors."""
    width, size = g_hat.shape[1:]
    return g_hat.as_strided((rows, band, size), (width * size, size, 1), g_hat.storage_offset())


def _patch_grad_(grad: Tensor, patches: Tensor, scale: Tensor) -> Tensor:
    """Back through ``P̂ = (P − μ)·s`` when ``G`` has zero mean over the patch:
    ``∂L/∂P = s (G − ⟨G, P̂⟩ P̂)``, in place on ``grad``."""
    dot = torch.einsum('...n,...n->...', grad, patches).unsqueeze(-1)
    return grad.addcmul_(patches, dot, value=-1).mul_(scale)


def _fold_patches(patch_grads: Tensor, batch: int, channels: int, kernel_size: int,
                  per_channel: bool, block_height: int) -> Tensor:
    """Sum patch gradients ``(B·G·block_height, W, N)`` back onto a ``(B, C, block_height, W)`` map
    (the adjoint of :func:`_windows`)."""
    k = kernel_size
    width = patch_grads.shape[1]
    groups = channels if per_channel else 1
    patch_shape = (k, k) if per_channel else (channels, k, k)
    grads = patch_grads.view(batch, groups, block_height, width, *patch_shape)
    if per_channel:
        columns = grads.permute(0, 1, 4, 5, 2, 3)                # (B, C, k, k, H', W)
    else:
        columns = grads[:, 0].permute(0, 3, 4, 5, 1, 2)
    columns = columns.reshape(batch, channels * k * k, block_height * width)
    return F.fold(columns, (block_height, width), k, padding=k // 2)


def _output_grad_by_g_row(grad: Tensor, rows: int, window: int) -> Tensor:
    """Re-lay the output gradient ``(B, G, H, W, 2r + 1, W)`` as ``Z (rows, W, (2r + 1)·W)`` with
    ``Z[t, y', (2r − i)·W + y] = grad[f row s = t − i, y, i, y']``: for g buffer row ``t`` the f rows
    ``t − 2r … t`` that see it, in increasing order (zero where ``s`` is a padding row)."""
    b, groups, h, width = grad.shape[:4]
    height = rows // (b * groups)
    z = grad.new_zeros(rows, width, window * width)
    s_t, s_y = window * width * width, window * width        # strides of Z's t and y' dims
    target = z.as_strided((b, groups, h, width, window, width),
                          (groups * height * s_t, height * s_t, s_t, 1, s_t - width, s_y),
                          z.storage_offset() + (window - 1) * width)
    target.copy_(grad)
    return z


class _NormalizedCrossCorrelation(torch.autograd.Function):
    """Returns ``(B, G, H, W, 2r + 1, W)``; saves only ``f`` and ``g``."""

    @staticmethod
    def forward(ctx, f: Tensor, g: Tensor, kernel_size: int, row_radius: int, per_channel: bool,
                eps: float) -> Tensor:
        b, c, h, w = f.shape
        groups = c if per_channel else 1
        height = h + 2 * row_radius                    # rows per (pair, group) block
        band = (2 * row_radius + 1) * w
        out = f.new_empty(b, groups, height, w, band)
        for chunk in batch_chunks(b, 2 * groups * height * w * kernel_size ** 2 * c // groups):
            rows = (chunk.stop - chunk.start) * groups * height
            f_hat, _ = _normalized_patches(f[chunk], kernel_size, per_channel, eps, 0, height)
            g_hat, _ = _normalized_patches(g[chunk], kernel_size, per_channel, eps, row_radius,
                                           height, tail=2 * row_radius)
            torch.bmm(f_hat, _candidates(g_hat, rows, band).transpose(1, 2),
                      out=out[chunk].view(rows, w, band))
        ctx.save_for_backward(f, g)
        ctx.config = (kernel_size, row_radius, per_channel, eps)
        return out[:, :, :h].unflatten(-1, (2 * row_radius + 1, w))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        f, g = ctx.saved_tensors
        kernel_size, row_radius, per_channel, eps = ctx.config
        need_f, need_g = ctx.needs_input_grad[:2]
        b, c, h, w = f.shape
        groups = c if per_channel else 1
        height = h + 2 * row_radius
        window = 2 * row_radius + 1
        band = window * w
        grad_f = torch.empty_like(f) if need_f else None
        grad_g = torch.empty_like(g) if need_g else None
        for chunk in batch_chunks(b, 2 * groups * height * band * w):
            pairs = chunk.stop - chunk.start
            rows = pairs * groups * height
            fold = dict(batch=pairs, channels=c, kernel_size=kernel_size,
                        per_channel=per_channel, block_height=height)
            head = 2 * row_radius if need_g else 0     # zero f rows before the first block
            f_buffer, f_scale = _normalized_patches(f[chunk], kernel_size, per_channel, eps, 0,
                                                    height, head=head)
            f_hat = f_buffer[head:]
            g_hat, g_scale = _normalized_patches(g[chunk], kernel_size, per_channel, eps,
                                                 row_radius, height, tail=2 * row_radius)
            if need_f:
                grad_out = grad.new_zeros(pairs, groups, height, w, window, w)
                grad_out[:, :, :h] = grad[chunk]
                grad_f_hat = torch.bmm(grad_out.view(rows, w, band), _candidates(g_hat, rows, band))
                grad_f_hat = _patch_grad_(grad_f_hat, f_hat, f_scale)
                grad_f[chunk] = _fold_patches(grad_f_hat, **fold)[:, :, :h]
            if need_g:
                f_rows = f_buffer.as_strided((rows, band, f_buffer.shape[2]),
                                             (w * f_buffer.shape[2], f_buffer.shape[2], 1),
                                             f_buffer.storage_offset())
                grad_g_hat = torch.bmm(_output_grad_by_g_row(grad[chunk], rows, window), f_rows)
                grad_g_hat = _patch_grad_(grad_g_hat, g_hat[:rows], g_scale)
                grad_g[chunk] = _fold_patches(grad_g_hat, **fold)[:, :, row_radius:row_radius + h]
        return grad_f, grad_g, None, None, None, None


def normalized_cross_correlation(f: Tensor, g: Tensor, kernel_size: int = 5, row_radius: int = 2,
                                 per_channel: bool = True, eps: float = 1e-2) -> Tensor:
    """NCC of every ``k × k`` patch of ``f`` with the patches of ``g`` in its search window.

    Args:
        f, g: ``(B, C, H, W)``.
        kernel_size: patch size ``k`` (odd).
        row_radius: ``r``; the window spans rows ``x − r … x + r`` and all ``W`` columns.
        per_channel: correlate channels separately (the paper) or whole ``(C, k, k)`` blocks.
        eps: ε of σ (see the module docstring).
    Returns:
        ``(B, G, H, W, 2r + 1, W)`` with ``G = C`` (per channel) or 1:
        ``out[b, c, x, y, i, y'] = NCC(patch of f_c at (x, y), patch of g_c at (x − r + i, y'))``,
        values in [−1, 1]. It is a view (rows of padding are dropped); ``.permute(0, 1, 4, 5, 2, 3)
        .reshape(B, -1, H, W)`` gives the paper's ``G·(2r+1)·W`` channels.
    """
    if f.dim() != 4 or f.shape != g.shape:
        raise ValueError(f'f and g must be feature maps of the same shape (B, C, H, W); '
                         f'got {tuple(f.shape)} and {tuple(g.shape)}')
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f'kernel_size must be a positive odd integer; got {kernel_size}')
    if row_radius < 0:
        raise ValueError(f'row_radius must be >= 0; got {row_radius}')
    if not eps > 0:
        raise ValueError(f'eps must be > 0; got {eps}')
    if kernel_size ** 2 * (1 if per_channel else f.shape[1]) < 2:
        raise ValueError('a patch needs at least 2 entries: use kernel_size >= 3, or '
                         'per_channel=False with several channels')
    return _NormalizedCrossCorrelation.apply(f, g, kernel_size, row_radius, per_channel, eps)


class NormalizedCrossCorrelation(nn.Module):
    """Module form of :func:`normalized_cross_correlation` (no parameters).

    ``forward(f, g)``: ``(B, C, H, W)`` twice → ``(B, G, H, W, 2r + 1, W)``.
    """

    def __init__(self, kernel_size: int = 5, row_radius: int = 2, per_channel: bool = True,
                 eps: float = 1e-2):
        super().__init__()
        self.kernel_size, self.row_radius = kernel_size, row_radius
        self.per_channel, self.eps = per_channel, eps

    def forward(self, f: Tensor, g: Tensor) -> Tensor:
        return normalized_cross_correlation(f, g, self.kernel_size, self.row_radius,
                                            self.per_channel, self.eps)

    def extra_repr(self) -> str:
        return (f'kernel_size={self.kernel_size}, row_radius={self.row_radius}, '
                f'per_channel={self.per_channel}, eps={self.eps}')
