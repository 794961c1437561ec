"""Identity classification loss with label smoothing (Szegedy et al., CVPR 2016)."""
from __future__ import annotations

from torch import Tensor, nn

from posereid.registry import MODELS


@MODELS.register_module()
class CrossEntropyLabelSmooth(nn.Module):
    """``L = −mean_i Σ_c q_ic log p_ic`` with ``q_ic = (1 − ε) 1[c = y_i] + ε / K``.

    ``forward(logits (B, K), pids (B,)) -> scalar``, times ``loss_weight``.
    """

    def __init__(self, num_classes: int, epsilon: float = 0.1, loss_weight: float = 1.0):
        super().__init__()
        if num_classes < 1 or not 0 <= epsilon < 1:
            raise ValueError(f'CrossEntropyLabelSmooth needs num_classes >= 1 and 0 <= epsilon < 1; '
                             f'got {num_classes} and {epsilon}')
        self.num_classes, self.epsilon, self.loss_weight = num_classes, epsilon, loss_weight

    def forward(self, logits: Tensor, pids: Tensor) -> Tensor:
        if logits.dim() != 2 or logits.shape[1] != self.num_classes:
            raise ValueError(f'CrossEntropyLabelSmooth expects logits (B, {self.num_classes}); '
                             f'got {tuple(logits.shape)}')
        if pids.numel() and (pids.min() < 0 or pids.max() >= self.num_classes):
            raise ValueError(f'identity labels must lie in [0, {self.num_classes}) (train pids '
                             f'relabelled); got range [{int(pids.min())}, {int(pids.max())}]')
        log_probs = logits.log_softmax(dim=1)
        nll = -log_probs.gather(1, pids.long()[:, None]).squeeze(1)
        uniform = -log_probs.mean(dim=1)
        return self.loss_weight * ((1 - self.epsilon) * nll + self.epsilon * uniform).mean()
