"""Diagnostics of an HKSANC distillation model on real batches.

For a model built from an HKSANC config (Li et al., AAAI 2020; KSANC, arXiv
1904.05100), at initialisation or from a distillation checkpoint, measure on
batches of the config's data:

1. per student-side loss term, the gradient reaching each student stage and
   the cosines between the terms' gradients (:mod:`.stage_gradients`);
2. the share of L_is that fitting only the student connector removes on a
   frozen student, on held-out images (:mod:`.connector_fit`);
3. the attention maps' normalised entropy and KL(M_T || M_S)
   (:mod:`.attention_stats`);
4. the discriminator's accuracies (:mod:`.discriminator_stats`).

The loss terms are read generically: every ``*loss*`` entry that
``model.loss`` returns, the attention-map term when the model has one, the
student's adversarial term and a plain cross-entropy (a reference, whether or
not the config trains with it).
"""
import math
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..models.algorithms.hksanc_distill import gt_labels_of
from ..models.algorithms.teacher_checkpoint import (load_checkpoint_state,
                                                   load_state_strictly)
from .attention_stats import map_divergence, normalized_entropy
from .connector_fit import ISPair, connector_fit_share
from .discriminator_stats import discriminator_accuracies
from .stage_gradients import (capture_stages, find_stage_modules,
                              gradient_statistics, parameter_gradient_norm,
                              term_gradients)

REFERENCE_CE = 'reference.cross_entropy'
ADVERSARIAL = 'distill.loss_adv'
MAP_LOSS = 'distill.loss_map'


# --------------------------------------------------------------- building
def load_distillation_checkpoint(model: nn.Module, checkpoint: str) -> None:
    """Load a distillation run's checkpoint into ``model``, strictly.

    Uses mmhkd's safe loading (:func:`load_checkpoint_state`, then
    :func:`load_state_strictly`); a leading ``module.`` (DDP) is removed.

    Raises:
        FileNotFoundError: The file does not exist.
        CheckpointMismatchError: Keys or shapes differ from the model's.
    """
    state = {
        re.sub(r'^module\.', '', k): v
        for k, v in load_checkpoint_state(checkpoint, prefix='').items()
    }
    load_state_strictly(model, state, checkpoint, '--checkpoint')


def build_model(cfg, checkpoint: Optional[str] = None) -> nn.Module:
    """Build ``cfg.model`` in the config's default scope, initialise it as
    the Runner does (``init_weights``), then load ``checkpoint`` if given.
    The model is returned in train mode (teacher parts stay in eval)."""
    from mmengine.registry import MODELS, DefaultScope
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmrazor')):
        model = MODELS.build(cfg.model)
    model.init_weights()
    if checkpoint:
        load_distillation_checkpoint(model, checkpoint)
    return model.train()


def build_loader(cfg, loader_cfg: dict, seed: int,
                 batch_size: Optional[int] = None):
    """``Runner.build_dataloader`` of one dataloader config (a copy), with an
    optional batch size."""
    import copy

    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    loader_cfg = copy.deepcopy(loader_cfg)
    if batch_size is not None:
        loader_cfg['batch_size'] = batch_size
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmrazor')):
        return Runner.build_dataloader(loader_cfg, seed=seed)


def take(loader: Iterable, num: int, min_size: int = 2) -> List[dict]:
    """The first ``num`` batches of ``loader`` with at least ``min_size``
    samples (a smaller last batch cannot give batch statistics)."""
    batches = []
    for data in loader:
        if len(batches) == num:
            break
        if len(data['data_samples']) >= min_size:
            batches.append(data)
    return batches


# ------------------------------------------------------------ model parts
def student_connector_names(model: nn.Module) -> List[str]:
    """The student-side connectors, in the order of the teacher's."""
    names = getattr(model, 'student_connector_names', None)
    available = list(model.distiller.connectors.keys())
    if names:
        return [n for n in names if n in available]
    teacher = set(getattr(model, 'teacher_connector_names', ()))
    return [n for n in available if n not in teacher]


def teacher_connector_names(model: nn.Module) -> List[str]:
    available = list(model.distiller.connectors.keys())
    return [n for n in getattr(model, 'teacher_connector_names', ())
            if n in available]


def is_mapping(model: nn.Module, loss_name: str = 'loss_is'
               ) -> Optional[Tuple[nn.Module, dict, dict]]:
    """The IS loss module and its student/teacher record specs, or None
    when the config has no such loss (e.g. the no-IS ablation)."""
    distiller = model.distiller
    if loss_name not in distiller.distill_losses:
        return None
    mapping = distiller.loss_forward_mappings[loss_name]
    records = list(mapping.values())
    student = [r for r in records if r.get('from_student')]
    teacher = [r for r in records if not r.get('from_student')]
    if len(student) != 1 or len(teacher) != 1:
        return None
    return distiller.distill_losses[loss_name], dict(student[0]), dict(
        teacher[0])


def discriminator_inputs(model: nn.Module,
                         from_student: bool) -> torch.Tensor:
    """What D judges for one side (logits unless the model says else)."""
    choose = getattr(model, 'discriminator_inputs', None)
    if choose is not None:
        return choose(from_student=from_student)
    return model.distiller.get_record(
        getattr(model, 'logits_recorder', 'logits'), from_student)


def release_connector_outputs(model: nn.Module) -> None:
    """Drop maps/descriptors that connectors keep with their graph."""
    for connector in model.distiller.connectors.values():
        if getattr(connector, 'keep_outputs', False):
            connector.attention_maps = ()
            connector.descriptors = ()


def student_terms(model: nn.Module, losses: Dict[str, object],
                  labels: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Every student-side term of one forward, by name.

    The ``*loss*`` tensors of ``model.loss``, ``distill.loss_map`` when the
    model has an attention-map loss, ``distill.loss_adv`` (D in eval mode,
    frozen) and ``reference.cross_entropy`` of the student logits.
    """
    terms = {
        k: v for k, v in losses.items()
        if 'loss' in k and isinstance(v, torch.Tensor) and v.dim() == 0
    }
    if getattr(model, 'attention_map_loss', None) is not None and hasattr(
            model, 'attention_map_term') and MAP_LOSS not in terms:
        terms[MAP_LOSS] = model.attention_map_term()
    if hasattr(model, 'student_adversarial_loss'):
        terms[ADVERSARIAL] = model.student_adversarial_loss(
            discriminator_inputs(model, True), labels)
    logits = model.distiller.get_record(
        getattr(model, 'logits_recorder', 'logits'), True)
    terms[REFERENCE_CE] = F.cross_entropy(logits, labels)
    return terms


# -------------------------------------------------------------- averaging
def _mean(values: Sequence[Optional[float]]) -> Optional[float]:
    kept = [v for v in values if v is not None and not math.isnan(v)]
    return sum(kept) / len(kept) if kept else None


def _mean_lists(lists: Sequence[Sequence[Optional[float]]]
                ) -> List[Optional[float]]:
    return [_mean(column) for column in zip(*lists)]


# ------------------------------------------------------------------- parts
def analyse_batch(model: nn.Module, data: dict,
                  stage_modules: Sequence[nn.Module]) -> dict:
    """Terms, gradients, maps and D's accuracies of one training batch,
    plus the IS pair (fixed features, teacher descriptors) for the fit."""
    data = model.data_preprocessor(data, True)
    inputs, samples = data['inputs'], data['data_samples']
    labels = gt_labels_of(samples).to(inputs.device)
    with capture_stages(stage_modules) as capture:
        losses = model.loss(inputs, samples)
    terms = student_terms(model, losses, labels)
    grads = term_gradients(terms, capture.outputs)
    stats = gradient_statistics(grads)
    backbone = list(model.architecture.parameters())
    connectors = [
        p for n in student_connector_names(model)
        for p in model.distiller.connectors[n].parameters()
    ]
    stats['parameter_norms'] = {
        name: dict(
            student_network=parameter_gradient_norm(term, backbone),
            student_connectors=parameter_gradient_norm(term, connectors))
        for name, term in terms.items()
    }
    stats['values'] = {name: float(t.detach()) for name, t in terms.items()}
    result = dict(gradients=stats)
    result['attention'] = attention_batch(model)
    if hasattr(model, 'discriminator') and hasattr(model, 'adversarial_loss'):
        result['discriminator'] = discriminator_accuracies(
            model.discriminator,
            model.adversarial_loss.discriminator_accuracies,
            discriminator_inputs(model, False),
            discriminator_inputs(model, True), labels)
    result['is_pair'] = is_pair(model)
    release_connector_outputs(model)
    return result


def attention_batch(model: nn.Module) -> List[dict]:
    """Per paired stage: mean normalised entropy of both sides' maps and
    mean KL(M_T || M_S), from the connectors' ``last_attention_maps``."""
    stages = []
    for t_name, s_name in zip(teacher_connector_names(model),
                              student_connector_names(model)):
        t_maps = model.distiller.connectors[t_name].last_attention_maps
        s_maps = model.distiller.connectors[s_name].last_attention_maps
        for t, s in zip(t_maps, s_maps):
            kl = map_divergence(t, s)
            stages.append(
                dict(teacher_entropy=float(normalized_entropy(t).mean()),
                     student_entropy=float(normalized_entropy(s).mean()),
                     kl_teacher_student=(None if kl is None else float(
                         kl.mean())),
                     positions=[int(t[0].numel()), int(s[0].numel())]))
    return stages


@torch.no_grad()
def is_pair(model: nn.Module) -> Optional[ISPair]:
    """The recorded student features (detached) and the teacher's
    descriptors of the last forward, for :func:`connector_fit_share`."""
    found = is_mapping(model)
    if found is None:
        return None
    _, student, teacher = found
    features = model.distiller.get_record(student['recorder'], True)
    if isinstance(features, (tuple, list)):
        features = type(features)(
            t.detach() if isinstance(t, torch.Tensor) else t
            for t in features)
    else:
        features = features.detach()
    descriptors = model.distiller.get_record(
        teacher['recorder'], False, connector=teacher.get('connector'))
    return features, tuple(d.detach() for d in descriptors)


@torch.no_grad()
def heldout_pairs(model: nn.Module, batches: Sequence[dict]
                  ) -> List[ISPair]:
    """IS pairs of held-out batches (one forward each, no gradient)."""
    pairs = []
    for data in batches:
        data = model.data_preprocessor(data, True)
        model.loss(data['inputs'], data['data_samples'])
        pair = is_pair(model)
        release_connector_outputs(model)
        if pair is not None:
            pairs.append(pair)
    return pairs


# ------------------------------------------------------------------- main
def diagnose(model: nn.Module,
             train_batches: Sequence[dict],
             heldout_batches: Sequence[dict],
             fit_steps: int = 200,
             fit_lr: float = 1e-3) -> dict:
    """All four diagnostics, averaged over ``train_batches``.

    Args:
        model: An ``HKSANCDistill`` in train mode.
        train_batches: Data-loader batches of the training data: the
            gradients, maps and D's accuracies are measured on them, and the
            connector is fitted on them.
        heldout_batches: Batches of other images, where the connector fit
            is measured.
        fit_steps: Adam steps of the connector fit.
        fit_lr: Adam learning rate of the connector fit.

    Returns:
        dict: ``stages``, ``terms``, ``gradients``, ``connector_fit``,
        ``attention``, ``discriminator`` (see ``docs/diagnostics.md``).
    """
    if not train_batches:
        raise ValueError('need at least one training batch')
    stage_names, stage_modules = zip(
        *find_stage_modules(model.architecture.backbone))
    per_batch = [analyse_batch(model, d, stage_modules)
                 for d in train_batches]
    gradients = [b['gradients'] for b in per_batch]
    names = list(gradients[0]['norms'])
    pairs = list(gradients[0]['cosines'])
    reference = REFERENCE_CE
    norms = {n: _mean_lists([g['norms'][n] for g in gradients])
             for n in names}
    result = dict(
        stages=list(stage_names),
        batches=len(train_batches),
        images=sum(len(d['data_samples']) for d in train_batches),
        terms={
            n: dict(
                value=_mean([g['values'][n] for g in gradients]),
                stage_grad_norm=norms[n],
                stage_grad_norm_over_ce=[
                    None if not r else v / r
                    for v, r in zip(norms[n], norms[reference])
                ],
                parameter_grad_norm={
                    part: _mean([g['parameter_norms'][n][part]
                                 for g in gradients])
                    for part in ('student_network', 'student_connectors')
                })
            for n in names
        },
        cosines={
            p: _mean_lists([g['cosines'][p] for g in gradients])
            for p in pairs
        })
    maps = [b['attention'] for b in per_batch]
    result['attention'] = [
        {
            key: (stages[0][key] if key == 'positions' else _mean(
                [s[key] for s in stages]))
            for key in stages[0]
        } for stages in zip(*maps)
    ] if maps and maps[0] else []
    if 'discriminator' in per_batch[0]:
        result['discriminator'] = {
            mode: {
                k: _mean([b['discriminator'][mode][k] for b in per_batch])
                for k in per_batch[0]['discriminator'][mode]
            }
            for mode in per_batch[0]['discriminator']
        }
    found = is_mapping(model)
    fit_pairs = [b['is_pair'] for b in per_batch if b['is_pair'] is not None]
    if found is not None and fit_pairs:
        loss, student, _ = found
        connector = model.distiller.connectors[student['connector']]
        held = heldout_pairs(model, heldout_batches)
        if held:
            result['connector_fit'] = dict(
                connector=student['connector'],
                heldout_batches=len(held),
                heldout_images=sum(
                    len(d['data_samples']) for d in heldout_batches),
                **connector_fit_share(connector, loss, fit_pairs, held,
                                      fit_steps, fit_lr))
    return result


def diagnose_config(config: str,
                    checkpoint: Optional[str] = None,
                    cfg_options: Optional[dict] = None,
                    batches: int = 8,
                    heldout_batches: Optional[int] = None,
                    heldout: str = 'test',
                    fit_steps: int = 200,
                    fit_lr: float = 1e-3,
                    seed: int = 0) -> dict:
    """Build the model and batches of ``config`` and run :func:`diagnose`.

    Args:
        config: An HKSANC distillation config.
        checkpoint: A distillation run's checkpoint (default: the model at
            initialisation, with the config's teacher checkpoints).
        cfg_options: ``key=value`` overrides of the config.
        batches: Training batches (``train_dataloader``) measured.
        heldout_batches: Held-out batches of the connector fit (default
            ``batches``), at the training batch size.
        heldout: Which loader holds the held-out images: ``'test'`` or
            ``'val'`` (in mmhkd's configs both read the test split, which
            shares no image with the training split).
        fit_steps, fit_lr: Adam steps and learning rate of the connector fit.
        seed: Seeds the model's initialisation and the data order.

    Returns:
        dict: :func:`diagnose`'s result with ``meta`` (the inputs).
    """
    from mmengine.config import Config
    from mmengine.runner import set_random_seed
    if heldout not in ('test', 'val'):
        raise ValueError(f"heldout must be 'test' or 'val', got {heldout!r}")
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    set_random_seed(seed)
    model = build_model(cfg, checkpoint)
    batch_size = cfg.train_dataloader.batch_size
    train = take(build_loader(cfg, cfg.train_dataloader, seed), batches)
    held = take(
        build_loader(cfg, cfg.get(f'{heldout}_dataloader'), seed,
                     batch_size=batch_size),
        batches if heldout_batches is None else heldout_batches)
    result = diagnose(model, train, held, fit_steps, fit_lr)
    result['meta'] = dict(
        config=config,
        checkpoint=checkpoint,
        cfg_options=dict(cfg_options or {}),
        seed=seed,
        batch_size=batch_size,
        heldout=f'{heldout}_dataloader',
        fit_steps=fit_steps,
        fit_lr=fit_lr)
    return result
