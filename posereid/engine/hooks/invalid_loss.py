"""Stop training with a clear message as soon as a loss is NaN or infinite."""
from __future__ import annotations

import math

import torch
from mmengine.hooks import Hook

from posereid.registry import HOOKS
from posereid.utils.errors import UserError


class InvalidLossError(UserError):
    """A training loss became NaN or infinite."""


@HOOKS.register_module()
class InvalidLossHook(Hook):
    """Check every loss of every training iteration (mmengine's ``CheckInvalidLossHook`` checks
    only the total, every ``interval`` iterations, and fails with a bare assertion).

    Raises:
        InvalidLossError: naming the loss, its value, the epoch and iteration, and what to do.
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        for name, value in (outputs or {}).items():
            if 'loss' not in name:
                continue
            value = float(torch.as_tensor(value).detach().float().sum())
            if not math.isfinite(value):
                raise InvalidLossError(
                    f'{name} is {value} at epoch {runner.epoch + 1}, iteration {runner.iter + 1}: '
                    f'training stopped. Lower the learning rate (optim_wrapper.optimizer.lr) or '
                    f'resume from an earlier checkpoint in {runner.work_dir}.')
