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
  (``Σ(P − μ)² = ΣP² − (ΣP)² / N``), once per call; each patch buffer is then written in a single
  pass.
* Patch buffers are *entry-major*: ``buffer[n, t, y]`` is entry ``n`` of the patch at row ``t``,
  column ``y``. The ``(2r+1)·W`` candidates of a row of ``f`` are then, for every entry, ``2r + 1``
  consecutive rows of ``g``'s buffer — one ``(N, (2r+1)·W)`` matrix with a row stride, a strided
  view rather than a copy — and one batched matrix product over all ``(pair, channel, row)`` yields
  every correlation. Each (pair, channel) block is padded with ``2r`` rows so that rows never
  straddle blocks; those rows are computed and dropped (the output is a view). Work is split
  into chunks of pairs whose buffers stay cache-sized.
* The output (71 MB for B = 32 pairs of the paper's maps) is allocated on huge pages, mapped
  at once, where the OS offers them (:func:`posereid.utils.memory.empty_huge_paged`): mapping
  it 4 KiB at a time, page fault by page fault, cost as much as computing it.
* When a gradient is needed the forward keeps its patch buffers (together as large as the output)
  and backward reuses them. Since every ``P̂`` and ``Q̂`` has zero mean,
  ``∂L/∂P = s_P (G − ⟨G, P̂⟩ P̂)`` with ``G = ∂L/∂P̂`` (the mean term vanishes). ``G`` for ``f`` is
  one batched product of the candidates with the output gradient, copied once into the buffers'
  row layout. ``∂L/∂Q̂`` sums over the ``2r + 1`` rows of ``f`` that see a row of ``g``: that
  (cache-resident) copy is copied again, along anti-diagonals, into a layout where those rows are
  consecutive, so it is one more batched product.
* Patch gradients go back onto the maps (the adjoint of taking windows) as two small products
  with 0/1 matrices, along the width and then along the rows: on maps 12 wide ``F.fold`` took
  four times as long.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from ...utils.memory import empty_huge_paged
from .chunking import batch_chunks, chunk_budget


def _windows(x: Tensor, kernel_size: int, per_channel: bool, row_pad: int) -> Tensor:
    """View ``(*patch, B, G, H + 2·row_pad, W)`` of the zero-padded ``k × k`` windows centred at
    rows ``−row_pad … H − 1 + row_pad``: patch entry first. ``patch`` is ``(k, k)`` per channel
    (``G = C``), ``(C, k, k)`` across channels (``G = 1``)."""
    p = kernel_size // 2
    padded = F.pad(x, (p, p, p + row_pad, p + row_pad))
    windows = padded.unfold(2, kernel_size, 1).unfold(3, kernel_size, 1)  # (B, C, H', W, k, k)
    if per_channel:
        return windows.permute(4, 5, 0, 1, 2, 3)
    return windows.permute(1, 4, 5, 0, 2, 3).unsqueeze(-3)


def _box_sum(x: Tensor, kernel_size: int) -> Tensor:
    """``k × k`` sums of ``(..., H, W)`` maps over zero padding, same size: entry ``(x, y)`` sums
    the window centred there. Separable: ``k`` shifted additions along the width, then ``k``
    along the rows (``F.avg_pool2d`` on ``(M, 1, H, W)`` maps took 4–8 times as long)."""
    p = kernel_size // 2
    for dim, padding in ((-1, (p, p)), (-2, (0, 0, p, p))):
        padded, size = F.pad(x, padding), x.shape[dim]
        x = padded.narrow(dim, 0, size).clone()
        for shift in range(1, kernel_size):
            x += padded.narrow(dim, shift, size)
    return x


def _patch_statistics(x: Tensor, kernel_size: int, per_channel: bool, eps: float,
                      row_pad: int) -> tuple[Tensor, Tensor]:
    """Mean ``μ`` and factor ``s = 1 / (sqrt(N − 1) σ)`` of the patches of :func:`_windows`, each
    ``(B, G, H + 2·row_pad, W)``, from box sums of ``x`` and ``x²``."""
    padded = F.pad(x, (0, 0, row_pad, row_pad))
    total, squares = _box_sum(torch.stack([padded, padded.square()]), kernel_size)
    n = kernel_size * kernel_size
    if not per_channel:
        total, squares = total.sum(1, keepdim=True), squares.sum(1, keepdim=True)
        n *= x.shape[1]
    mean = total / n
    centred_squares = (squares - total * mean).clamp_(min=0)     # Σ (P − μ)²
    scale = (centred_squares + (n - 1) * eps * eps).rsqrt_()
    return mean, scale


def _patch_buffer(like: Tensor, size: int, blocks: int, block_height: int, rows: int,
                  head: int = 0, tail: int = 0) -> Tensor:
    """An entry-major ``(N, head + blocks·block_height + tail, W)`` patch buffer whose padding rows
    (``head``, ``tail`` and each block's rows from ``rows`` on) are zero; :func:`_fill_patches_`
    writes the rest."""
    width = like.shape[-1]
    buffer = like.new_empty(size, head + blocks * block_height + tail, width)
    buffer[:, :head].zero_()
    buffer[:, buffer.shape[1] - tail:].zero_()
    body = buffer[:, head:buffer.shape[1] - tail].view(size, blocks, block_height, width)
    body[:, :, rows:].zero_()
    return buffer


def _fill_patches_(buffer: Tensor, x: Tensor, mean: Tensor, scale: Tensor, kernel_size: int,
                   per_channel: bool, row_pad: int, block_height: int, head: int = 0) -> Tensor:
    """Write the normalised patches ``P̂ = (P − μ)·s`` of ``x`` into an entry-major buffer of
    :func:`_patch_buffer` (or a view of its first blocks): ``buffer[n, head + t]`` holds entry
    ``n`` of the patches of buffer row ``t``. Block ``(b, g)`` holds, row after row, the patches
    centred at rows ``−row_pad …`` of the map. ``mean`` and ``scale`` are from
    :func:`_patch_statistics`."""
    windows = _windows(x, kernel_size, per_channel, row_pad)
    b, groups, rows, width = mean.shape
    blocks = buffer[:, head:head + b * groups * block_height].view(-1, b, groups, block_height,
                                                                   width)
    torch.addcmul(-(mean * scale), windows, scale,
                  out=blocks[:, :, :, :rows].unflatten(0, windows.shape[:-4]))
    return buffer


def _row_runs(buffer: Tensor, first: int, rows: int, count: int) -> Tensor:
    """``(rows, N, count·W)`` view of an entry-major buffer: item ``t`` is the ``(N, count·W)``
    matrix of buffer rows ``first + t … first + t + count − 1``, laid side by side (consecutive rows
    are consecutive in memory, so this is a strided view, not a copy)."""
    size, width = buffer.shape[0], buffer.shape[2]
    return buffer.as_strided((rows, size, count * width), (width, buffer.stride(0), 1),
                             buffer.storage_offset() + first * width)


def _patch_grad_(grad: Tensor, patches: Tensor, scale: Tensor) -> Tensor:
    """Back through ``P̂ = (P − μ)·s`` when ``G = ∂L/∂P̂`` has zero mean over the patch:
    ``∂L/∂P = s (G − ⟨G, P̂⟩ P̂)``, in place on ``G``; ``G`` and ``P̂`` ``(rows, N, W)``, ``s``
    ``(rows, 1, W)``."""
    dot = (grad * patches).sum(1, keepdim=True)
    return grad.addcmul_(patches, dot, value=-1).mul_(scale)


def _fold_matrices(like: Tensor, kernel_size: int, block_height: int, h: int,
                   first_row: int) -> tuple[Tensor, Tensor]:
    """0/1 matrices of :func:`_fold_patches_`: along the width ``(k·W, W)``, entry
    ``(b·W + y, v)`` is 1 where ``v = y + b − p``; along the rows ``(H, block_height·k)``, entry
    ``(u, t·k + a)`` is 1 where ``u = t − first_row + a − p`` (``p = k // 2``; buffer row ``t``
    holds the patches centred at map row ``t − first_row``)."""
    p = kernel_size // 2
    width = like.shape[-1]
    offsets = torch.arange(kernel_size, device=like.device) - p
    y, u = torch.arange(width, device=like.device), torch.arange(h, device=like.device)
    t = torch.arange(block_height, device=like.device) - first_row
    across_width = y.view(1, -1, 1) + offsets.view(-1, 1, 1) == y.view(1, 1, -1)
    along_rows = t.view(1, -1, 1) + offsets.view(1, 1, -1) == u.view(-1, 1, 1)
    return (across_width.to(like.dtype).view(-1, width),
            along_rows.to(like.dtype).view(h, -1))


def _fold_patches_(out: Tensor, patch_grads: Tensor, across_width: Tensor,
                   along_rows: Tensor) -> Tensor:
    """Sum patch gradients ``(B·G·block_height, N, W)`` back onto the ``(B, C, H, W)`` map ``out``
    (the adjoint of :func:`_windows`) as two products with the 0/1 matrices of
    :func:`_fold_matrices`: ``R[t, c, a, v] = Σ_{b, y} grad[t, (c, a, b), y]·[v = y + b − p]``,
    then ``out[c, u, v] = Σ_{t, a} R[t, c, a, v]·[u = t − first_row + a − p]``."""
    width = out.shape[-1]
    kernel_size = across_width.shape[0] // width
    block_height = along_rows.shape[1] // kernel_size
    channels_per_patch = patch_grads.shape[1] // kernel_size ** 2
    summed = torch.mm(patch_grads.view(-1, kernel_size * width), across_width)   # R
    summed = summed.view(-1, block_height, channels_per_patch, kernel_size, width).transpose(1, 2)
    torch.matmul(along_rows, summed.reshape(-1, block_height * kernel_size, width),
                 out=out.view(-1, out.shape[-2], width))
    return out


def _gradient_by_g_row_buffer(like: Tensor, pairs: int, groups: int, h: int,
                              window: int) -> Tensor:
    """Buffer for :func:`_output_grad_by_g_row_` of up to ``pairs`` pairs,
    ``(rows, (2r + 1)·W, W)``, with its entries that no output feeds (``s`` outside the map)
    zeroed once."""
    width = like.shape[-1]
    height = h + window - 1
    z = like.new_empty(pairs * groups * height, window * width, width)
    blocks = z.view(pairs, groups, height, window, width, width)
    for i in range(window):
        blocks[:, :, :i, window - 1 - i].zero_()
        blocks[:, :, h + i:, window - 1 - i].zero_()
    return z


def _output_grad_by_g_row_(z: Tensor, grad: Tensor) -> Tensor:
    """Re-lay the output gradient ``(B, G, H, W, 2r + 1, W)`` into ``z`` (the first ``B`` pairs of
    a :func:`_gradient_by_g_row_buffer`) as ``Z (rows, (2r + 1)·W, W)`` with
    ``Z[t, (2r − i)·W + y, y'] = grad[f row s = t − i, y, i, y']``: for g buffer row ``t`` the
    f rows ``t − 2r … t`` that see it, in increasing order (zero where ``s`` is a padding row)."""
    b, groups, h, width, window = grad.shape[:5]
    height = h + window - 1
    z = z[:b * groups * height]
    s_t = window * width * width                              # stride of Z's t dim
    target = z.as_strided((b, groups, h, width, window, width),
                          (groups * height * s_t, height * s_t, s_t, width, s_t - width * width, 1),
                          z.storage_offset() + (window - 1) * width * width)
    target.copy_(grad)
    return z


def _pair_chunks(f: Tensor, kernel_size: int, row_radius: int, per_channel: bool) -> list[slice]:
    """Chunks of pairs whose two patch buffers fit the chunk budget (forward and backward agree)."""
    b, c, h, w = f.shape
    per_pair = 2 * c * (h + 2 * row_radius) * w * kernel_size ** 2
    return batch_chunks(b, per_pair, chunk_budget(f.device, f.element_size()))


class _NormalizedCrossCorrelation(torch.autograd.Function):
    """Returns ``(B, G, H, W, 2r + 1, W)``. When a gradient is needed, saves ``f`` (for its
    shape), the patches' ``s`` and every chunk's patch buffers (as large as the output together)
    so that backward does not rebuild them. Under CUDA autocast (mixed precision) it runs in
    float32."""

    @staticmethod
    @torch.amp.custom_fwd(device_type='cuda', cast_inputs=torch.float32)
    def forward(ctx, f: Tensor, g: Tensor, kernel_size: int, row_radius: int, per_channel: bool,
                eps: float, keep: bool) -> Tensor:
        b, c, h, w = f.shape
        groups = c if per_channel else 1
        height = h + 2 * row_radius                    # rows per (pair, group) block
        window = 2 * row_radius + 1
        head = 2 * row_radius if keep else 0           # zero f rows before the first block
        f_mean, f_scale = _patch_statistics(f, kernel_size, per_channel, eps, 0)
        g_mean, g_scale = _patch_statistics(g, kernel_size, per_channel, eps, row_radius)
        out = empty_huge_paged(b, groups, height, w, window * w, like=f)
        chunks = _pair_chunks(f, kernel_size, row_radius, per_channel)
        size = kernel_size ** 2 * c // groups                  # entries of a patch

        def buffers(pairs: int) -> tuple[Tensor, Tensor]:
            blocks = pairs * groups
            return (_patch_buffer(f, size, blocks, height, h, head=head),
                    _patch_buffer(f, size, blocks, height, height, tail=2 * row_radius))

        if not keep:                                   # one pair of buffers, reused by every chunk
            scratch = buffers(chunks[0].stop)
        patches = []
        for chunk in chunks:
            pairs = chunk.stop - chunk.start
            rows = pairs * groups * height
            if keep:
                f_hat, g_hat = buffers(pairs)
            else:                                      # the first blocks of the shared buffers
                f_hat, g_hat = scratch[0][:, :rows], scratch[1][:, :rows + 2 * row_radius]
            _fill_patches_(f_hat, f[chunk], f_mean[chunk], f_scale[chunk], kernel_size,
                           per_channel, 0, height, head=head)
            _fill_patches_(g_hat, g[chunk], g_mean[chunk], g_scale[chunk], kernel_size,
                           per_channel, row_radius, height)
            torch.bmm(_row_runs(f_hat, head, rows, 1).transpose(1, 2),
                      _row_runs(g_hat, 0, rows, window), out=out[chunk].view(rows, w, -1))
            if keep:
                patches += [f_hat, g_hat]
        if keep:
            ctx.save_for_backward(f, f_scale, g_scale, *patches)
            ctx.config = (kernel_size, row_radius, per_channel)
        return out[:, :, :h].unflatten(-1, (window, w))

    @staticmethod
    @once_differentiable
    @torch.amp.custom_bwd(device_type='cuda')
    def backward(ctx, grad: Tensor):
        f, f_scale, g_scale, *patches = ctx.saved_tensors
        kernel_size, row_radius, per_channel = ctx.config
        need_f, need_g = ctx.needs_input_grad[:2]
        b, c, h, w = f.shape
        groups = c if per_channel else 1
        height = h + 2 * row_radius
        window = 2 * row_radius + 1
        head = 2 * row_radius
        # s on the rows of the patch buffers (zero on f's padding rows), (B·G·height, 1, W)
        f_factor = F.pad(f_scale, (0, 0, 0, 2 * row_radius)).view(-1, 1, w)
        g_factor = g_scale.view(-1, 1, w)
        grad_f = torch.empty_like(f) if need_f else None
        grad_g = torch.empty_like(f) if need_g else None
        chunks = _pair_chunks(f, kernel_size, row_radius, per_channel)
        most = chunks[0].stop                          # pairs in the largest chunk
        if need_f:                                     # the output gradient in buffer rows
            grad_rows = grad.new_empty(most, groups, height, w, window * w)
            grad_rows[:, :, h:].zero_()
            f_fold = _fold_matrices(f, kernel_size, height, h, 0)        # f row t: map row t
        if need_g:
            grad_by_g_row = _gradient_by_g_row_buffer(grad, most, groups, h, window)
            g_fold = _fold_matrices(f, kernel_size, height, h, row_radius)   # t − r
        for chunk, f_hat, g_hat in zip(chunks, patches[::2], patches[1::2]):
            pairs = chunk.stop - chunk.start
            rows = pairs * groups * height
            chunk_rows = slice(chunk.start * groups * height, chunk.stop * groups * height)
            grad_chunk = grad[chunk]
            if need_f:                                 # ∂L/∂P̂ = Σ_j grad_j Q̂_j over the window
                grad_out = grad_rows[:pairs]
                grad_out[:, :, :h] = grad_chunk.flatten(-2)
                grad_chunk = grad_out[:, :, :h].unflatten(-1, (window, w))   # now in cache
                grad_f_hat = torch.bmm(_row_runs(g_hat, 0, rows, window),
                                       grad_out.view(rows, w, -1).transpose(1, 2))
                grad_f_hat = _patch_grad_(grad_f_hat, _row_runs(f_hat, head, rows, 1),
                                          f_factor[chunk_rows])
                _fold_patches_(grad_f[chunk], grad_f_hat, *f_fold)
            if need_g:                                 # g row t is seen by f rows t − 2r … t
                grad_g_hat = torch.bmm(_row_runs(f_hat, 0, rows, window),
                                       _output_grad_by_g_row_(grad_by_g_row, grad_chunk))
                grad_g_hat = _patch_grad_(grad_g_hat, _row_runs(g_hat, 0, rows, 1),
                                          g_factor[chunk_rows])
                _fold_patches_(grad_g[chunk], grad_g_hat, *g_fold)
        return grad_f, grad_g, None, None, None, None, None


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
    if torch.onnx.is_in_onnx_export():
        return correlate_windows(f, g, kernel_size, row_radius, per_channel, eps)
    keep = torch.is_grad_enabled() and (f.requires_grad or g.requires_grad)   # for backward
    return _NormalizedCrossCorrelation.apply(f, g, kernel_size, row_radius, per_channel, eps, keep)


def correlate_windows(f: Tensor, g: Tensor, kernel_size: int, row_radius: int,
                      per_channel: bool, eps: float) -> Tensor:
    """:func:`normalized_cross_correlation` from the same windows and statistics, in standard
    operators only (one product per row offset): what ONNX export traces. Slower, and it keeps
    every window; tested equal to the fused layer."""
    h, w = f.shape[2:]
    groups = f.shape[1] if per_channel else 1

    def normalised(x: Tensor, row_pad: int) -> Tensor:             # (N, B, G, rows, W)
        mean, scale = _patch_statistics(x, kernel_size, per_channel, eps, row_pad)
        windows = F.unfold(F.pad(x, (0, 0, row_pad, row_pad)), kernel_size,
                           padding=kernel_size // 2)                # (B, C·k², rows·W)
        windows = windows.unflatten(1, (groups, -1)).unflatten(-1, (h + 2 * row_pad, w))
        return ((windows - mean[:, :, None]) * scale[:, :, None]).permute(2, 0, 1, 3, 4)

    f_hat, g_hat = normalised(f, 0), normalised(g, row_radius)
    return torch.stack([torch.einsum('nbgxy,nbgxz->bgxyz', f_hat, g_hat[:, :, :, i:i + h])
                        for i in range(2 * row_radius + 1)], dim=4)


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
