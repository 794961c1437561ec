import pytest
import torch
import torch.nn.functional as F

from posereid.models.layers import (NeighborhoodDifferenceSummary, neighborhood_difference,
                                    neighborhood_difference_summary)
from posereid.models.layers.chunking import batch_chunks


def loop_neighborhood_difference(f, g, k):
    """K_i(x, y) = f_i(x, y)·1(k, k) − N[g_i(x, y)], one block at a time (zero outside g)."""
    b, c, h, w = f.shape
    p = k // 2
    out = torch.zeros(b, c, k * h, k * w, dtype=f.dtype)
    for x in range(h):
        for y in range(w):
            for dy in range(k):
                for dx in range(k):
                    gx, gy = x + dy - p, y + dx - p
                    inside = 0 <= gx < h and 0 <= gy < w
                    neighbour = g[:, :, gx, gy] if inside else torch.zeros(b, c, dtype=f.dtype)
                    out[:, :, k * x + dy, k * y + dx] = f[:, :, x, y] - neighbour
    return out


def pair(*shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=generator, dtype=torch.float64),
            torch.randn(*shape, generator=generator, dtype=torch.float64))


@pytest.mark.parametrize('k', [3, 5])
def test_tiled_map_equals_the_loop_reference(k):
    f, g = pair(2, 3, 6, 4)
    torch.testing.assert_close(neighborhood_difference(f, g, k),
                               loop_neighborhood_difference(f, g, k))


def test_block_centre_is_the_difference_at_the_same_position_and_borders_see_zeros():
    f, g = pair(1, 1, 4, 3)
    tiled = neighborhood_difference(f, g, 3)
    torch.testing.assert_close(tiled[0, 0, 1::3, 1::3], f[0, 0] - g[0, 0])
    # the top-left block's first row lies above the map: g is zero there, so K = f.
    torch.testing.assert_close(tiled[0, 0, 0, :3], f[0, 0, 0, 0].expand(3))


@pytest.mark.parametrize('k', [3, 5])
def test_fused_summary_equals_convolution_of_the_relu_tiled_map_with_its_gradients(k):
    f, g = pair(3, 4, 6, 4)
    weight = torch.randn(6, 4, k, k, dtype=torch.float64)
    bias = torch.randn(6, dtype=torch.float64)
    inputs = [t.clone().requires_grad_() for t in (f, g, weight, bias)]
    reference = [t.clone().requires_grad_() for t in (f, g, weight, bias)]
    ours = neighborhood_difference_summary(*inputs)
    theirs = F.conv2d(loop_neighborhood_difference(*reference[:2], k).relu(), reference[2],
                      reference[3], stride=k)
    torch.testing.assert_close(ours, theirs)
    grad = torch.randn_like(ours)
    ours.backward(grad)
    theirs.backward(grad)
    for mine, expected in zip(inputs, reference):
        torch.testing.assert_close(mine.grad, expected.grad)


def test_fused_summary_passes_gradcheck_without_bias():
    f, g = pair(2, 2, 4, 3)
    weight = torch.randn(3, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    f.requires_grad_(), g.requires_grad_()
    assert torch.autograd.gradcheck(neighborhood_difference_summary, (f, g, weight, None),
                                    fast_mode=True)


def test_many_chunks_give_the_same_result_as_a_loop():
    f, g = pair(9, 16, 32, 16)              # 16·25·32·(16 + 4) differences a pair: 3 chunks
    assert len(batch_chunks(9, 16 * 25 * 32 * 20)) == 3
    weight = torch.randn(4, 16, 5, 5, dtype=torch.float64)
    expected = F.conv2d(neighborhood_difference(f, g, 5).relu(), weight, stride=5)
    torch.testing.assert_close(neighborhood_difference_summary(f, g, weight), expected)


def test_batch_chunks_cover_the_batch_in_order():
    chunks = batch_chunks(10, elements_per_item=3, budget=9)
    assert [(c.start, c.stop) for c in chunks] == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert batch_chunks(2, elements_per_item=100, budget=9) == [slice(0, 1), slice(1, 2)]


def test_module_summarises_both_directions_with_their_own_kernels():
    torch.manual_seed(0)
    layer = NeighborhoodDifferenceSummary(in_channels=3, out_channels=2, kernel_size=3).double()
    f, g = pair(2, 3, 5, 4)
    out = layer(f, g)
    assert out.shape == (2, 4, 5, 4)
    summaries = [F.conv2d(neighborhood_difference(a, b, 3).relu(), layer.weight[i], layer.bias[i],
                          stride=3) for i, (a, b) in enumerate([(f, g), (g, f)])]
    torch.testing.assert_close(out, torch.cat(summaries, dim=1))


@pytest.mark.parametrize('call, message', [
    (lambda: neighborhood_difference(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 5)), 'same shape'),
    (lambda: neighborhood_difference(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 4), 4), 'odd'),
    (lambda: neighborhood_difference_summary(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 4),
                                             torch.zeros(3, 5, 3, 3)), 'weight must be'),
])
def test_bad_shapes_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_chunks_fit_a_cpu_cache_and_a_share_of_free_gpu_memory(monkeypatch):
    from posereid.models.layers import chunking

    assert chunking.chunk_budget('cpu') == chunking.CHUNK_ELEMENTS
    monkeypatch.setattr(torch.cuda, 'mem_get_info', lambda device=None: (8 << 30, 16 << 30))
    budget = chunking.chunk_budget('cuda', element_size=4)
    assert budget == int((8 << 30) * chunking.GPU_MEMORY_SHARE) // 4        # 512 Mi floats
    # a batch of 32 pairs of the paper's ND temporaries is one chunk on such a GPU, 13 on a CPU
    per_pair = 25 * 25 * 37 * 16
    assert len(batch_chunks(32, per_pair, budget)) == 1
    assert len(batch_chunks(32, per_pair)) == -(-32 // (chunking.CHUNK_ELEMENTS // per_pair))
