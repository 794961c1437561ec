import itertools

import pytest
import torch
import torch.nn.functional as F

from posereid.models import SiameseND
from posereid.models.losses import CrossEntropyLabelSmooth, PairCrossEntropyLoss, TripletLoss
from posereid.registry import MODELS


def test_pair_cross_entropy_is_the_weighted_negative_log_likelihood_of_the_label():
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.5], [-3.0, 1.0]])
    labels = torch.tensor([0, 1, 1])
    expected = -logits.log_softmax(1)[torch.arange(3), labels].mean()
    torch.testing.assert_close(PairCrossEntropyLoss(loss_weight=2.0)(logits, labels), 2 * expected)
    with pytest.raises(ValueError, match=r'\(P, 2\)'):
        PairCrossEntropyLoss()(torch.zeros(3, 3), labels)


@pytest.mark.parametrize('epsilon', [0.0, 0.1, 0.3])
def test_label_smoothing_matches_the_smoothed_target_distribution(epsilon):
    torch.manual_seed(0)
    logits, pids = torch.randn(6, 5), torch.tensor([0, 4, 2, 2, 1, 3])
    loss = CrossEntropyLabelSmooth(num_classes=5, epsilon=epsilon)(logits, pids)
    target = torch.full((6, 5), epsilon / 5)
    target[torch.arange(6), pids] += 1 - epsilon
    torch.testing.assert_close(loss, -(target * logits.log_softmax(1)).sum(1).mean())


def test_label_smoothing_rejects_pids_outside_the_classes():
    with pytest.raises(ValueError, match=r'\[0, 5\)'):
        CrossEntropyLabelSmooth(num_classes=5)(torch.zeros(2, 5), torch.tensor([0, 5]))


def brute_force_batch_hard(embeddings, pids, margin):
    losses = []
    for a in range(len(pids)):
        positives = [p for p in range(len(pids)) if p != a and pids[p] == pids[a]]
        negatives = [n for n in range(len(pids)) if pids[n] != pids[a]]
        if not positives or not negatives:
            continue
        distance = lambda i: torch.dist(embeddings[a], embeddings[i])  # noqa: E731
        losses.append(F.relu(max(map(distance, positives)) - min(map(distance, negatives)) + margin))
    return torch.stack(losses).mean()


def test_batch_hard_triplet_matches_brute_force_and_skips_anchors_without_positives():
    torch.manual_seed(0)
    embeddings = torch.randn(9, 4, dtype=torch.float64)
    pids = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 3])        # pid 3 has no positive
    loss = TripletLoss(margin=0.5)(embeddings, pids)
    torch.testing.assert_close(loss, brute_force_batch_hard(embeddings, pids, 0.5))


def test_triplet_on_a_line_by_hand():
    # anchors 0, 1, 3, 7 (pids 0, 0, 1, 1): hardest positive − hardest negative + 3 = 1, 2, 5, 1.
    embeddings = torch.tensor([[0.0], [1.0], [3.0], [7.0]], requires_grad=True)
    loss = TripletLoss(margin=3.0)(embeddings, torch.tensor([0, 0, 1, 1]))
    assert loss.item() == pytest.approx(9 / 4)
    loss.backward()
    assert torch.isfinite(embeddings.grad).all()


def test_triplet_without_valid_anchors_is_zero_but_differentiable():
    embeddings = torch.randn(3, 2, requires_grad=True)
    loss = TripletLoss()(embeddings, torch.tensor([0, 1, 2]))
    loss.backward()
    assert loss.item() == 0 and embeddings.grad is not None


def test_losses_are_registered_and_configured_by_name():
    for name in ('PairCrossEntropyLoss', 'CrossEntropyLabelSmooth', 'TripletLoss'):
        assert MODELS.get(name) is not None
    with pytest.raises(ValueError, match='num_classes'):
        SiameseND(losses=dict(identity=dict(type='CrossEntropyLabelSmooth')))
    with pytest.raises(ValueError, match='unknown loss names'):
        SiameseND(losses=dict(center=dict(type='TripletLoss')))


def test_loss_mode_uses_the_configured_weights():
    torch.manual_seed(0)
    batch = dict(imgs=torch.randn(4, 3, 40, 40), pids=torch.tensor([0, 0, 1, 2]))
    results = []
    for weights in itertools.product([1.0, 3.0], repeat=2):
        torch.manual_seed(1)
        model = SiameseND(input_size=(40, 40), num_classes=3, branch=dict(dropout=0.0), losses=dict(
            pair=dict(type='PairCrossEntropyLoss', loss_weight=weights[0]),
            identity=dict(type='CrossEntropyLabelSmooth', loss_weight=weights[1])))
        results.append(model(**batch, mode='loss'))
    torch.testing.assert_close(results[3]['loss_pair'], 3 * results[0]['loss_pair'])
    torch.testing.assert_close(results[1]['loss_id'], 3 * results[0]['loss_id'])
