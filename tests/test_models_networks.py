import pytest
import torch
import torch.nn.functional as F

from posereid.models import SiameseND, SpindleFusion, SpindleNet
from posereid.models.backbones import ResNet50Stages
from posereid.registry import MODELS

ALL_LOSSES = dict(pair=dict(type='PairCrossEntropyLoss'),
                  identity=dict(type='CrossEntropyLabelSmooth', epsilon=0.1),
                  triplet=dict(type='TripletLoss', margin=0.3))


def make_batch(batch_size, size, seed=0):
    generator = torch.Generator().manual_seed(seed)
    h, w = size
    return dict(imgs=torch.randn(batch_size, 3, h, w, generator=generator),
                heatmaps=torch.rand(batch_size, 14, h // 4, w // 4, generator=generator),
                pids=torch.tensor([0, 0, 1, 2, 2, 2, 3, 1][:batch_size]),
                camids=torch.arange(batch_size) % 2,
                splits=['query', 'gallery'] * (batch_size // 2),
                img_paths=[f'img{i}.jpg' for i in range(batch_size)])


@pytest.mark.parametrize('matching, tied_shape', [('nd', (25, 37, 12)), ('ncc', (25, 37, 12)),
                                                   ('both', (25, 37, 12))])
def test_siamese_nd_shapes_at_the_papers_160_by_60(matching, tied_shape):
    model = MODELS.build(dict(type='SiameseND', input_size=(160, 60), matching=matching))
    batch = make_batch(4, (160, 60))
    feats = model.extract_pair_features(batch['imgs'])
    assert feats['tied'].shape == (4, *tied_shape)
    assert model(**batch, mode='tensor').shape == (4, 25 * 37 * 12)
    logits = model.verify({'tied': feats['tied'][:2]}, {'tied': feats['tied'][2:]})
    assert logits.shape == (2, 2)
    # ND: 2 × 25 maps; NCC: 25; the across-patch output is pooled to 17 × 5 before FC 500.
    maps = {'nd': 2, 'ncc': 1, 'both': 3}[matching]
    assert model.branch.fc[1].in_features == maps * 25 * 17 * 5
    assert model.branch.fc[1].out_features == 500


def test_ncc_summary_is_the_1x1_convolution_over_the_papers_correlation_channels():
    branch = MODELS.build(dict(type='SiameseND', matching='ncc')).branch
    generator = torch.Generator().manual_seed(0)
    f, g = torch.rand(2, 2, 25, 37, 12, generator=generator, dtype=torch.float64)
    branch.double()
    correlations = branch.ncc(f, g)                              # (2, 25, 37, 12, 5, 12)
    channels_first = correlations.permute(0, 1, 4, 5, 2, 3).reshape(2, 1500, 37, 12)
    torch.testing.assert_close(branch.summarize_correlations(correlations),
                               branch.ncc_summary(channels_first))


@pytest.mark.parametrize('model_type, size', [('SpindleNet', (128, 64)), ('SpindleNet', (160, 60)),
                                              ('SpindleFusion', (160, 60))])
def test_spindle_models_give_256_d_embeddings_and_pair_logits(model_type, size):
    model = MODELS.build(dict(type=model_type, input_size=size))
    batch = make_batch(4, size)
    embeddings = model(**batch, mode='tensor')
    assert embeddings.shape == (4, 256)
    feats = model.extract_pair_features(batch['imgs'], batch['heatmaps'])
    assert model.verify({k: v[:3] for k, v in feats.items()},
                        {k: v[1:] for k, v in feats.items()}).shape == (3, 2)


def test_wrong_input_size_and_missing_heatmaps_raise_clear_errors():
    model = SpindleFusion(input_size=(128, 64))
    with pytest.raises(ValueError, match='built for images'):
        model.extract_embedding(torch.zeros(2, 3, 160, 60), torch.zeros(2, 14, 40, 15))
    with pytest.raises(ValueError, match='heatmap_cache'):
        model.extract_embedding(torch.zeros(2, 3, 128, 64), None)
    with pytest.raises(ValueError, match='even batch'):
        model(**make_batch(3, (128, 64)), mode='loss')


@pytest.mark.parametrize('cfg', [
    dict(type='SpindleFusion', spindle=dict(heatmap_mode='attention'), siamese=dict(matching='both')),
    dict(type='SpindleNet', branch=dict(heatmap_mode='channels')),
    dict(type='SiameseND', matching='both'),
])
def test_gradients_reach_every_parameter(cfg):
    torch.manual_seed(0)
    model = MODELS.build(dict(cfg, input_size=(64, 32), num_classes=4, losses=ALL_LOSSES))
    losses = model(**make_batch(8, (64, 32)), mode='loss')
    assert set(losses) == {'loss_pair', 'loss_id', 'loss_triplet', 'pair_acc'}
    sum(value for key, value in losses.items() if 'loss' in key).backward()
    no_grad = [name for name, p in model.named_parameters()
               if p.grad is None or not p.grad.abs().sum() > 0]
    assert not no_grad


@pytest.mark.parametrize('model_type', ['SiameseND', 'SpindleNet', 'SpindleFusion'])
def test_ranking_api_agrees_with_the_loss_and_predict_paths(model_type):
    torch.manual_seed(0)
    model = MODELS.build(dict(type=model_type, input_size=(64, 32), num_classes=4,
                              losses=ALL_LOSSES)).eval()
    batch = make_batch(8, (64, 32))
    with torch.no_grad():
        losses = model(**batch, mode='loss')
        embeddings = model.extract_embedding(batch['imgs'], batch['heatmaps'])
        predictions = model(**batch, mode='predict')
        # pairs scored from features extracted separately, a few images at a time.
        first = model.extract_pair_features(batch['imgs'][0::2], batch['heatmaps'][0::2])
        second = model.extract_pair_features(batch['imgs'][1::2], batch['heatmaps'][1::2])
        logits = model.verify(first, second)
        classifier_logits = model.classifier(embeddings)
    labels = (batch['pids'][0::2] == batch['pids'][1::2]).long()
    torch.testing.assert_close(losses['loss_pair'], F.cross_entropy(logits, labels))
    torch.testing.assert_close(losses['pair_acc'], (logits.argmax(1) == labels).float().mean())
    torch.testing.assert_close(losses['loss_id'],
                               F.cross_entropy(classifier_logits, batch['pids'], label_smoothing=0.1))
    torch.testing.assert_close(torch.stack([p['embedding'] for p in predictions]), embeddings)
    assert [(p['pid'], p['camid'], p['split'], p['img_path']) for p in predictions] == list(zip(
        batch['pids'].tolist(), batch['camids'].tolist(), batch['splits'], batch['img_paths']))


def test_fusion_verification_uses_the_siamese_branch():
    torch.manual_seed(0)
    model = SpindleFusion(input_size=(128, 64)).eval()
    batch = make_batch(4, (128, 64))
    with torch.no_grad():
        feats = model.extract_pair_features(batch['imgs'], batch['heatmaps'])
        a, b = ({k: v[i::2] for k, v in feats.items()} for i in (0, 1))
        swapped_tied = dict(b, tied=a['tied'])
        assert (model.verify(a, b) - model.verify(a, swapped_tied)).abs().max() > 1e-6


def test_resnet50_stages_load_a_local_state_dict_and_extend_conv1(tmp_path):
    from torchvision.models import resnet50
    torch.manual_seed(0)
    reference = resnet50(weights=None)
    path = tmp_path / 'resnet50.pth'
    torch.save(reference.state_dict(), path)
    backbone = ResNet50Stages(in_channels=17, pretrained=str(path)).eval()
    conv1 = backbone.stages[0][0].weight
    torch.testing.assert_close(conv1[:, :3], reference.conv1.weight)
    assert conv1[:, 3:].abs().max() == 0
    torch.testing.assert_close(backbone.stages[2][2].conv3.weight, reference.layer4[2].conv3.weight)
    with torch.no_grad():
        x = torch.randn(1, 17, 64, 32)
        maps = [x := stage(x) for stage in backbone.stages]
    assert [tuple(m.shape[1:]) for m in maps] == [(512, 8, 4), (1024, 4, 2), (2048, 4, 2)]
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        ResNet50Stages(pretrained=str(tmp_path / 'missing.pth'))
    torch.save({'weight': torch.zeros(1)}, tmp_path / 'other.pth')
    with pytest.raises(ValueError, match='not a torchvision ResNet-50'):
        ResNet50Stages(pretrained=str(tmp_path / 'other.pth'))


def test_mmengine_train_and_val_steps_take_the_collated_batch_dict():
    from mmengine.optim import OptimWrapper
    torch.manual_seed(0)
    model = SpindleFusion(input_size=(64, 32), spindle=dict(macro_roi_size=(6, 6),
                                                            micro_roi_size=(4, 2)))
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    batch = make_batch(4, (64, 32))
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    log_vars = model.train_step(batch, optim)
    assert {'loss', 'loss_pair', 'pair_acc'} <= set(log_vars)
    changed = {name for name, p in model.named_parameters() if not torch.equal(before[name], p)}
    assert {'siamese.tied.0.weight', 'spindle.backbone.stages.0.0.weight',
            'spindle.micro_stages.3.1.weight', 'head.3.weight'} <= changed
    outputs = model.val_step(batch)
    assert [o['img_path'] for o in outputs] == batch['img_paths']
    assert all(o['embedding'].shape == (256,) and o['embedding'].device.type == 'cpu'
               for o in outputs)


def test_batch_hard_pairs_take_each_images_hardest_positive_and_negative():
    model = SiameseND(input_size=(32, 24), pair_mining='batch_hard',
                      branch=dict(channels=(4, 5), summary_channels=5, fc_dim=8))
    # two identities on a line: 0 at x = 0, 1, 3; 1 at x = 4, 9
    embeddings = torch.tensor([[0.], [1.], [3.], [4.], [9.]])
    pids = torch.tensor([0, 0, 0, 1, 1])
    first, second = model.training_pairs(embeddings, pids)
    pairs = sorted(zip(first.tolist(), second.tolist()))
    # positives: farthest same-identity image; negatives: nearest other-identity image
    assert pairs == sorted([(0, 2), (1, 2), (2, 0), (3, 4), (4, 3),
                            (0, 3), (1, 3), (2, 3), (3, 2), (4, 2)])
    lone = model.training_pairs(embeddings[:1], pids[:1])           # one image: no pair
    assert [len(index) for index in lone] == [0, 0]
    with pytest.raises(ValueError, match='pair_mining'):
        SiameseND(input_size=(32, 24), pair_mining='random')


def test_the_bnneck_feeds_ranking_and_the_classifier_but_not_the_triplet_loss():
    torch.manual_seed(0)
    model = SpindleNet(input_size=(64, 32), neck=True, num_classes=4, losses=ALL_LOSSES,
                       branch=dict(backbone=dict(type='SmallSpindleBackbone', channels=(8, 8, 8)),
                                   embedding_dim=16,
                                   macro_roi_size=(4, 4), micro_roi_size=(4, 2)),
                       head_dim=8, pair_mining='batch_hard').eval()
    batch = make_batch(8, (64, 32))
    raw = model.extract_pair_features(batch['imgs'], batch['heatmaps'])['embedding']
    torch.testing.assert_close(model.extract_embedding(batch['imgs'], batch['heatmaps']),
                               model.neck(raw))
    assert not model.neck.bias.requires_grad
    model.train()
    losses = model(**batch, mode='loss')
    assert {'loss_pair', 'loss_id', 'loss_triplet'} <= set(losses)
    losses['loss_id'].backward()
    assert model.neck.weight.grad is not None and model.neck.weight.grad.abs().sum() > 0
