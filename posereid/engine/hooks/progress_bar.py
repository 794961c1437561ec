"""Progress bars for a quiet console: one tqdm bar per training epoch (with the loss) and per
validation, on the main process. Added by :func:`posereid.engine.train` when the config's
``console_log_level`` hides mmengine's INFO lines from the console (the log file keeps them)."""
from __future__ import annotations

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from tqdm import tqdm

from posereid.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """``epoch e/E`` and ``val`` bars over the batches of the epoch, the latest loss beside."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._bar: tqdm | None = None

    def _open(self, total: int, description: str) -> None:
        self._close()
        self._bar = tqdm(total=total, desc=description, unit='batch', leave=False,
                         disable=not is_main_process(), dynamic_ncols=True)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def before_train_epoch(self, runner) -> None:
        self._open(len(runner.train_dataloader), f'epoch {runner.epoch + 1}/{runner.max_epochs}')

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self._bar is not None:
            self._bar.update(1)
            if outputs and 'loss' in outputs:
                self._bar.set_postfix(loss=f"{outputs['loss'].item():.3f}", refresh=False)

    def after_train_epoch(self, runner) -> None:
        self._close()

    def before_val_epoch(self, runner) -> None:
        self._open(len(runner.val_dataloader), 'val')

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._close()

    def after_run(self, runner) -> None:
        self._close()
