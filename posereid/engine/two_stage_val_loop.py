"""A validation loop that also ranks the query + gallery set as ``tools/test.py`` does: the
embedding shortlist re-scored by the verification head (:mod:`posereid.retrieval.two_stage`)."""
from __future__ import annotations

import torch
from mmengine.dist import broadcast_object_list, collect_results, is_main_process
from mmengine.runner import ValLoop
from mmengine.runner.amp import autocast

from posereid.evaluation import RANKS
from posereid.registry import LOOPS

from .features import ExtractedFeatures, unwrap_model
from posereid.retrieval.two_stage import PAIR_BATCH_SIZE, streamed_rank_metrics


@LOOPS.register_module()
class TwoStageValLoop(ValLoop):
    """mmengine's ``ValLoop`` (the evaluator, e.g. ``ReIDMetric`` on embeddings) plus two-stage
    ranking metrics ``two_stage/rank<k>``, ``two_stage/mAP``, ``two_stage/mINP`` and
    ``two_stage/pair_passes`` under the dataset's protocol, in the same pass over the data.

    Per-image pair features are gathered from every process; the main process ranks and
    broadcasts the metrics.

    Args:
        top_k: shortlist length per query.
        batch_size: pairs per ``verify`` call.
    """

    def __init__(self, runner, dataloader, evaluator, top_k: int = 100,
                 batch_size: int = PAIR_BATCH_SIZE, fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.top_k, self.batch_size = top_k, batch_size
        self._samples: list[dict] = []

    def run(self) -> dict:
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        self._samples = []
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        metrics.update(self._two_stage_metrics())
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: dict) -> None:
        """One pass through the network per image: its pair features, whose embedding (through
        the model's ranking head) also feeds the evaluator."""
        self.runner.call_hook('before_val_iter', batch_idx=idx, data_batch=data_batch)
        model = unwrap_model(self.runner.model)
        data = model.data_preprocessor(data_batch, False)
        with autocast(enabled=self.fp16):
            feats = model.extract_pair_features(data['imgs'], data.get('heatmaps'))
            embeddings = model.ranking_embedding(feats['embedding'])
        outputs = model.metric_samples(embeddings, data_batch['pids'], data_batch['camids'],
                                       data_batch['splits'], data_batch['img_paths'])
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        for i, split in enumerate(data_batch['splits']):
            self._samples.append({'feats': {k: v[i].cpu() for k, v in feats.items()},
                                  'ranking': embeddings[i].float().cpu(),
                                  'pid': int(data_batch['pids'][i]),
                                  'camid': int(data_batch['camids'][i]), 'split': split})
        self.runner.call_hook('after_val_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=outputs)

    def _two_stage_metrics(self) -> dict:
        samples = collect_results(self._samples, len(self.dataloader.dataset), 'cpu')
        metrics = [None]
        if is_main_process():
            metrics = [self._rank(samples)]
        broadcast_object_list(metrics)
        return metrics[0]

    def _rank(self, samples: list[dict]) -> dict:
        keys = samples[0]['feats']
        features = ExtractedFeatures(
            embeddings=torch.stack([s['ranking'] for s in samples]),
            pids=torch.tensor([s['pid'] for s in samples]).numpy(),
            camids=torch.tensor([s['camid'] for s in samples]).numpy(),
            splits=[s['split'] for s in samples], img_paths=[''] * len(samples),
            pair_features={k: torch.stack([s['feats'][k] for s in samples]) for k in keys})
        model = unwrap_model(self.runner.model)
        query, gallery = features.select('query'), features.select('gallery')
        result = streamed_rank_metrics(model, query, gallery,
                                       self.dataloader.dataset.metainfo['protocol'],
                                       self.top_k, self.batch_size)['two_stage']
        metrics = {f'two_stage/rank{k}': result[f'rank{k}'] for k in RANKS}
        metrics.update({'two_stage/mAP': result['mAP'], 'two_stage/mINP': result['mINP'],
                        'two_stage/pair_passes': len(query.pids) * min(self.top_k,
                                                                       len(gallery.pids))})
        return metrics
