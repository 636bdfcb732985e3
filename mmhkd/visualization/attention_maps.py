"""Teacher and student attention maps of chosen images, from a checkpoint.

The maps are the ones the distillation trains with: both networks run inside
the distiller's recorders, and the teacher's and the student's
:class:`~mmhkd.models.connectors.HierarchicalAttentionConnector` squeeze the
recorded stages exactly as ``IntermediateSupervisionLoss`` sees them. The
stages come from the connectors, so any HKSANC config works.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, DefaultScope
from mmengine.runner.checkpoint import _load_checkpoint

TEACHER_CONNECTOR = 'teacher_attention'
STUDENT_CONNECTOR = 'student_attention'


@dataclass
class StageAttention:
    """One supervised stage of one image.

    Attributes:
        stage (int): Index among the connectors' supervised stages
            (0 = shallowest).
        teacher_map (np.ndarray): Teacher's map upsampled to the image, (H, W).
        student_map (np.ndarray): Student's map upsampled to the image, (H, W).
        teacher_size (tuple[int, int]): Size (h, w) of the teacher's map.
        student_size (tuple[int, int]): Size (h, w) of the student's map.
        cosine (float): Cosine similarity of the two squeezed descriptors
            (NaN when their widths differ).
    """

    stage: int
    teacher_map: np.ndarray
    student_map: np.ndarray
    teacher_size: Tuple[int, int]
    student_size: Tuple[int, int]
    cosine: float


@dataclass
class ImageAttention:
    """Attention of both networks on one dataset image.

    Attributes:
        index (int): Index in the dataset.
        image (np.ndarray): The pipeline's output image, (H, W) grey or
            (H, W, 3) RGB, ``uint8``.
        label (int, optional): Ground-truth class.
        teacher_pred (int, optional): Teacher's predicted class.
        student_pred (int, optional): Student's predicted class.
        stages (list[StageAttention]): Shallow -> deep.
    """

    index: int
    image: np.ndarray
    label: Optional[int] = None
    teacher_pred: Optional[int] = None
    student_pred: Optional[int] = None
    stages: List[StageAttention] = field(default_factory=list)


def build_distill_model(cfg: Config, checkpoint: str) -> nn.Module:
    """Build the distillation model of ``cfg`` and load ``checkpoint``.

    The checkpoint of a distillation run holds every weight (teacher, its
    attention connector, student, student connector, discriminator), so the
    config's ``teacher_ckpt`` and ``teacher_attention_ckpt`` are not read.

    Args:
        cfg (Config): An HKSANC distillation config.
        checkpoint (str): A checkpoint written by training that config.

    Returns:
        nn.Module: The model, on CPU, in eval mode.

    Raises:
        FileNotFoundError: The checkpoint does not exist.
        TypeError: The config's model has no attention connectors.
        KeyError: The checkpoint's weights do not match the model.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'Checkpoint not found: {checkpoint}')
    from mmrazor.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg['teacher_ckpt'] = None
    if 'teacher_attention_ckpt' in model_cfg:
        model_cfg['teacher_attention_ckpt'] = None
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        model = MODELS.build(model_cfg)
    attention_connectors(model)  # fail early on a non-HKSANC config
    loaded = _load_checkpoint(checkpoint, map_location='cpu')
    state = loaded.get('state_dict', loaded)
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise KeyError(
            f'Checkpoint {checkpoint} does not match the model of '
            f'{cfg.filename}: {len(result.missing_keys)} missing keys '
            f'{result.missing_keys[:5]}, {len(result.unexpected_keys)} '
            f'unexpected keys {result.unexpected_keys[:5]}. Pass a '
            'checkpoint written by training this distillation config '
            '(e.g. <work_dir>/epoch_N.pth), not a teacher or student one.')
    return model.eval()


def attention_connectors(
        model: nn.Module,
        teacher: str = TEACHER_CONNECTOR,
        student: str = STUDENT_CONNECTOR) -> Tuple[nn.Module, nn.Module]:
    """The (teacher, student) attention connectors of a distill model."""
    connectors = getattr(getattr(model, 'distiller', None), 'connectors',
                         None)
    if connectors is None:
        raise TypeError(f'{type(model).__name__} has no distiller with '
                        'connectors; use an HKSANC distillation config.')
    found = []
    for name in (teacher, student):
        if name not in connectors or not hasattr(connectors[name],
                                                 'last_attention_maps'):
            raise TypeError(
                f'distiller connector {name!r} is missing or is not an '
                'attention connector (no last_attention_maps); connectors: '
                f'{list(connectors.keys())}')
        found.append(connectors[name])
    return found[0], found[1]


def record_spec(distiller: nn.Module, connector: str) -> Dict[str, object]:
    """The recorder feeding ``connector`` in the loss forward mappings.

    Returns:
        dict: ``recorder``, ``from_student`` and, when given,
        ``record_idx`` and ``data_idx`` (for ``distiller.get_record``).
    """
    for mappings in distiller.loss_forward_mappings.values():
        for spec in mappings.values():
            if spec.get('connector') == connector:
                keys = ('recorder', 'from_student', 'record_idx', 'data_idx')
                return {k: spec[k] for k in keys if k in spec}
    raise KeyError(f'no distill loss reads connector {connector!r}; '
                   'loss_forward_mappings: '
                   f'{dict(distiller.loss_forward_mappings)}')


def build_dataset(cfg: Config, split: str = 'test'):
    """Build ``cfg.<split>_dataloader.dataset`` through the registry.

    Built, like the model, under the config's ``default_scope``, which is
    restored afterwards (no global registry state is left behind).
    """
    key = f'{split}_dataloader'
    if cfg.get(key) is None:
        raise KeyError(f'config has no {key}')
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        return DATASETS.build(cfg[key].dataset)


def display_image(inputs: torch.Tensor, bgr: bool) -> np.ndarray:
    """A packed (C, H, W) input as (H, W) grey or (H, W, 3) RGB uint8."""
    array = inputs.detach().cpu().numpy()
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    if array.shape[0] == 1:
        return array[0]
    image = np.transpose(array[:3], (1, 2, 0))
    return np.ascontiguousarray(image[:, :, ::-1] if bgr else image)


def channels_flipped(preprocessor: nn.Module) -> bool:
    """Whether the data preprocessor swaps BGR to RGB for the network.

    Then the packed images are BGR and are flipped for display; otherwise
    they are shown in their channel order (e.g. CIFAR, read as RGB).
    mmpretrain's ``ClsDataPreprocessor`` names the flag ``to_rgb``,
    mmengine's ``ImgDataPreprocessor`` ``_channel_conversion``.
    """
    return bool(
        getattr(preprocessor, 'to_rgb', False)
        or getattr(preprocessor, '_channel_conversion', False))


def upsample(maps: torch.Tensor, size: Tuple[int, int],
             mode: str = 'bilinear') -> torch.Tensor:
    """(N, 1, h, w) maps to (N, H, W) by interpolation."""
    kwargs = {'align_corners': False} if mode in ('bilinear',
                                                  'bicubic') else {}
    return F.interpolate(maps.float(), size=size, mode=mode, **kwargs)[:, 0]


@torch.no_grad()
def run_networks(model: nn.Module, batch: dict) -> dict:
    """Teacher then student forward inside the distiller's recorders.

    Mirrors ``SingleTeacherDistill.loss`` (deliveries included) in
    ``mode='tensor'``, so no labels are needed.

    Returns:
        dict: The preprocessed batch (``inputs``, ``data_samples``).
    """
    distiller = model.distiller
    data = model.data_preprocessor(batch, False)
    inputs, samples = data['inputs'], data['data_samples']
    distiller.set_deliveries_override(False)
    with distiller.teacher_recorders, distiller.deliveries:
        model.teacher(inputs, samples, mode='tensor')
    distiller.set_deliveries_override(True)
    with distiller.student_recorders, distiller.deliveries:
        model.student(inputs, samples, mode='tensor')
    return data


def _predictions(model: nn.Module) -> Tuple[Optional[list], Optional[list]]:
    name = getattr(model, 'logits_recorder', None)
    if name is None:
        return None, None
    preds = []
    for from_student in (False, True):
        logits = model.distiller.get_record(name, from_student)
        preds.append(logits.argmax(dim=1).tolist())
    return preds[0], preds[1]


@torch.no_grad()
def compute_attention(model: nn.Module,
                      dataset,
                      indices: Sequence[int],
                      teacher_connector: str = TEACHER_CONNECTOR,
                      student_connector: str = STUDENT_CONNECTOR,
                      mode: str = 'bilinear') -> List[ImageAttention]:
    """Attention maps of both networks on ``dataset[i]`` for ``i`` in indices.

    Args:
        model (nn.Module): From :func:`build_distill_model` (eval mode).
        dataset: A dataset whose items are ``dict(inputs, data_samples)``
            (mmpretrain's ``PackInputs``).
        indices (Sequence[int]): Dataset indices, one batch.
        teacher_connector (str): Name of the teacher's attention connector.
        student_connector (str): Name of the student's attention connector.
        mode (str): Interpolation of the maps to the image size
            (``'bilinear'`` or ``'nearest'``, which shows the map's grid).

    Returns:
        list[ImageAttention]: One per index, in order. Afterwards the
        connectors' ``last_attention_maps`` hold this batch's maps.
    """
    indices = [int(i) for i in indices]
    bad = [i for i in indices if not 0 <= i < len(dataset)]
    if bad or not indices:
        raise IndexError(f'indices {bad or indices} are not in the dataset '
                         f'(0..{len(dataset) - 1})')
    connectors = attention_connectors(model, teacher_connector,
                                      student_connector)
    items = [dataset[i] for i in indices]
    data = run_networks(model, pseudo_collate(items))
    distiller = model.distiller
    descriptors, maps = [], []
    for name, connector in zip((teacher_connector, student_connector),
                               connectors):
        record = distiller.get_record(**record_spec(distiller, name))
        descriptors.append(connector(record))
        maps.append(connector.last_attention_maps)
    if len(maps[0]) != len(maps[1]):
        raise ValueError(f'teacher connector has {len(maps[0])} stages, '
                         f'student connector {len(maps[1])}')
    size = tuple(data['inputs'].shape[-2:])
    bgr = channels_flipped(model.data_preprocessor)
    teacher_preds, student_preds = _predictions(model)
    results = []
    for k, (index, item) in enumerate(zip(indices, items)):
        image = display_image(item['inputs'], bgr)
        height, width = image.shape[:2]
        sample = item['data_samples']
        label = (int(sample.gt_label.view(-1)[0])
                 if 'gt_label' in sample else None)
        result = ImageAttention(
            index=index,
            image=image,
            label=label,
            teacher_pred=teacher_preds[k] if teacher_preds else None,
            student_pred=student_preds[k] if student_preds else None)
        for stage, (t_map, s_map, t_desc, s_desc) in enumerate(
                zip(maps[0], maps[1], descriptors[0], descriptors[1])):
            cosine = (float(F.cosine_similarity(t_desc[k:k + 1],
                                                s_desc[k:k + 1]))
                      if t_desc.shape == s_desc.shape else float('nan'))
            # maps cover the (possibly padded) network input: crop to image
            result.stages.append(
                StageAttention(
                    stage=stage,
                    teacher_map=upsample(t_map[k:k + 1], size,
                                         mode)[0, :height, :width].numpy(),
                    student_map=upsample(s_map[k:k + 1], size,
                                         mode)[0, :height, :width].numpy(),
                    teacher_size=tuple(t_map.shape[-2:]),
                    student_size=tuple(s_map.shape[-2:]),
                    cosine=cosine))
        results.append(result)
    return results
