import pytest
import torch

from posereid.models.layers import NormalizedCrossCorrelation, normalized_cross_correlation
from posereid.models.layers.chunking import batch_chunks
from posereid.models.layers.normalized_cross_correlation import correlate_windows

EPS = 1e-2


def ncc(p, q, eps=EPS):
    """NCC(P, Q) = Σ(P − μ_P)(Q − μ_Q) / ((N − 1) σ_P σ_Q), σ² = Σ(· − μ)² / (N − 1) + ε²."""
    n = p.numel()
    p, q = p.flatten() - p.mean(), q.flatten() - q.mean()
    sigma_p = torch.sqrt((p @ p) / (n - 1) + eps ** 2)
    sigma_q = torch.sqrt((q @ q) / (n - 1) + eps ** 2)
    return (p @ q) / ((n - 1) * sigma_p * sigma_q)


def loop_ncc(f, g, k, r, per_channel):
    """Every patch of f against the patches of g at rows x − r … x + r and all columns."""
    b, c, h, w = f.shape
    p = k // 2
    f_pad = torch.nn.functional.pad(f, (p, p, p, p))
    g_pad = torch.nn.functional.pad(g, (p, p, p + r, p + r))
    groups = [slice(i, i + 1) for i in range(c)] if per_channel else [slice(0, c)]
    out = torch.zeros(b, len(groups), h, w, 2 * r + 1, w, dtype=f.dtype)
    for n in range(b):
        for gi, channels in enumerate(groups):
            for x in range(h):
                for y in range(w):
                    patch = f_pad[n, channels, x:x + k, y:y + k]
                    for i in range(2 * r + 1):
                        for y2 in range(w):
                            candidate = g_pad[n, channels, x + i:x + i + k, y2:y2 + k]
                            out[n, gi, x, y, i, y2] = ncc(patch, candidate)
    return out


def pair(*shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=generator, dtype=torch.float64),
            torch.randn(*shape, generator=generator, dtype=torch.float64))


@pytest.mark.parametrize('layer', [normalized_cross_correlation, correlate_windows])
@pytest.mark.parametrize('per_channel', [True, False])
@pytest.mark.parametrize('k, r', [(3, 1), (5, 2)])
def test_ncc_equals_the_loop_reference(layer, per_channel, k, r):
    f, g = pair(2, 2, 5, 3)
    out = layer(f, g, k, r, per_channel, EPS)
    torch.testing.assert_close(out, loop_ncc(f, g, k, r, per_channel))


@pytest.mark.parametrize('per_channel', [True, False])
def test_fused_layer_equals_the_standard_operator_path_with_its_gradients(per_channel):
    inputs = [t.requires_grad_() for t in pair(3, 4, 7, 5)]
    out = normalized_cross_correlation(*inputs, 5, 2, per_channel, EPS)
    expected = correlate_windows(*inputs, 5, 2, per_channel, EPS)
    torch.testing.assert_close(out, expected)
    grad = torch.randn_like(out)
    torch.testing.assert_close(torch.autograd.grad(out, inputs, grad),
                               torch.autograd.grad(expected, inputs, grad))


def test_a_map_correlates_fully_with_itself_at_the_same_place():
    f, _ = pair(1, 3, 6, 4)
    out = normalized_cross_correlation(f, f, 3, row_radius=1)
    same_place = out[0, :, :, torch.arange(4), 1, torch.arange(4)]    # window row r, column y
    # ε shrinks it slightly below 1 for random patches of variance ~1.
    assert same_place.min() > 0.99 and out.abs().max() <= 1 + 1e-12


@pytest.mark.parametrize('per_channel', [True, False])
@pytest.mark.parametrize('k, r', [(3, 0), (3, 1), (5, 2)])
def test_ncc_passes_gradcheck_in_float64(per_channel, k, r):
    f, g = pair(2, 2, 4, 3)
    f.requires_grad_(), g.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda a, b: normalized_cross_correlation(a, b, k, r, per_channel), (f, g), fast_mode=True)


@pytest.mark.parametrize('which', [0, 1])
def test_gradient_of_one_input_only_equals_the_joint_one(which):
    inputs = [t.requires_grad_() for t in pair(2, 2, 5, 3)]
    grad = torch.randn(2, 2, 5, 3, 3, 3, dtype=torch.float64)
    normalized_cross_correlation(*inputs, 3, 1).backward(grad)
    single = [t.detach().clone() for t in inputs]
    single[which].requires_grad_()
    normalized_cross_correlation(*single, 3, 1).backward(grad)
    torch.testing.assert_close(single[which].grad, inputs[which].grad)
    assert single[1 - which].grad is None


def test_chunked_batch_equals_pairs_one_at_a_time_with_gradients():
    f, g = pair(5, 16, 32, 16)              # 2 pairs a chunk: chunks of 2, 2 and 1
    assert len(batch_chunks(5, 2 * 16 * 36 * 16 * 25)) == 3
    f.requires_grad_(), g.requires_grad_()
    out = normalized_cross_correlation(f, g, 5, 2)
    grad = torch.randn_like(out)
    out.backward(grad)
    for n in range(len(f)):
        a, b = f[n:n + 1].detach().requires_grad_(), g[n:n + 1].detach().requires_grad_()
        single = normalized_cross_correlation(a, b, 5, 2)
        single.backward(grad[n:n + 1])
        torch.testing.assert_close(out[n:n + 1], single)
        torch.testing.assert_close(f.grad[n:n + 1], a.grad)
        torch.testing.assert_close(g.grad[n:n + 1], b.grad)


def test_forward_without_gradients_equals_forward_that_keeps_its_patches_for_backward():
    f, g = pair(5, 16, 32, 16)              # chunks of 2, 2 and 1 pairs: reused buffers
    with torch.no_grad():
        plain = normalized_cross_correlation(f, g, 5, 2)
    kept = normalized_cross_correlation(f.requires_grad_(), g, 5, 2)
    assert plain.grad_fn is None and kept.grad_fn is not None
    torch.testing.assert_close(kept, plain, rtol=0, atol=0)


def test_module_output_has_the_papers_channel_count():
    f, g = torch.randn(2, 25, 37, 12), torch.randn(2, 25, 37, 12)
    out = NormalizedCrossCorrelation()(f, g)
    assert out.shape == (2, 25, 37, 12, 5, 12)
    assert out.permute(0, 1, 4, 5, 2, 3).reshape(2, -1, 37, 12).shape[1] == 1500


@pytest.mark.parametrize('kwargs, message', [
    (dict(kernel_size=4), 'odd'), (dict(row_radius=-1), 'row_radius'), (dict(eps=0.0), 'eps'),
    (dict(kernel_size=1), 'at least 2 entries'),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    f = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match=message):
        normalized_cross_correlation(f, f, **kwargs)
