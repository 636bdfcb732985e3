"""Connector that squeezes a network's stages into attended descriptors.

KSANC (arXiv 1904.05100), framework figure: each supervised stage goes
through a "channel transform convolution" to the teacher's width, then a
task-driven attention estimator queried by the network's global descriptor
squeezes it to one vector. HKSANC adds a hierarchy, offered here as a
top-down query chain.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from mmrazor.registry import MODELS

from ..attention import (TaskDrivenAttention, is_fusable,
                         transformed_attention)

_DESCRIPTOR_SOURCES = ('neck', 'pool_last_stage', 'pool_all_stages')
_QUERIES = ('global', 'hierarchical')
_TRANSFORMS = ('conv_bn', 'conv')
_ATTENTION_KEYS = ('act', 'pool_source', 'pooling')


def _check_choice(name: str, value: object, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(
            f'{name}={value!r} is not supported; allowed: {allowed}')


def _check_widths(name: str, values: Sequence[int]) -> List[int]:
    values = list(values)
    if not values or any(not isinstance(v, int) or isinstance(v, bool)
                         or v <= 0 for v in values):
        raise ValueError(
            f'{name} must be a non-empty sequence of positive ints, '
            f'got {values!r}')
    return values


def scale_gradient(tensor: torch.Tensor, scale: float) -> torch.Tensor:
    """The same values, with the gradient flowing back through it times
    ``scale`` (0: detached)."""
    if scale == 0.0:
        return tensor.detach()
    detached = tensor.detach()
    return detached + scale * (tensor - detached)


def build_channel_transform(in_channels: int, out_channels: int,
                            transform_cfg: dict) -> nn.Module:
    """Build the 1x1 channel transform ``in_channels -> out_channels``.

    ``type='conv_bn'``: 1x1 conv without bias + BatchNorm2d (the BN is ours:
    it puts the transformed student features on a normalised scale before
    they are compared with the teacher's). ``type='conv'``: 1x1 conv with
    bias, the paper's bare "channel transform convolution".
    """
    cfg = dict(transform_cfg)
    kind = cfg.pop('type', None)
    _check_choice('transform_cfg type', kind, _TRANSFORMS)
    if cfg:
        raise ValueError(f'transform_cfg has unknown keys {sorted(cfg)}; '
                         "only 'type' is accepted")
    if kind == 'conv':
        return nn.Conv2d(in_channels, out_channels, 1, bias=True)
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, bias=False),
        nn.BatchNorm2d(out_channels))


@MODELS.register_module()
class HierarchicalAttentionConnector(BaseConnector):
    """Squeeze the stages recorded from one network (KSANC / HKSANC).

    Input: one tuple/list of tensors recorded from one network. Output: one
    squeezed descriptor (N, attention_channels[i]) per supervised stage,
    ordered shallow -> deep.

    Args:
        stage_channels (Sequence[int]): Widths of the supervised stages in
            the recorded tuple (this network's own widths).
        descriptor_channels (int): Width D of the network's global
            descriptor (the feature that feeds its classifier).
        attention_channels (Sequence[int], optional): Widths at which the
            stages are squeezed, i.e. the teacher's widths. ``None``
            (default) means ``stage_channels``, the teacher-side setting.
        descriptor_source (str): ``'neck'`` (default): the tuple's last
            element is the global descriptor, (N, D) or (N, D, 1, 1), as
            mmhkd's GlobalDescriptorNeck returns ``(*stages, descriptor)``.
            ``'pool_last_stage'``: the tuple holds only backbone stages and
            the descriptor is the global average pool of the last one (what
            a stock GAP neck feeds the classifier; for a detector's FPN
            levels, the top level). ``'pool_all_stages'``: the mean of every
            recorded entry's global average pool (all entries must have the
            same width, as FPN levels do).
        stage_indices (Sequence[int], optional): Which entries of the stage
            part of the tuple are supervised, strictly increasing
            (shallow -> deep). ``None`` (default): all of them, in which
            case the tuple must hold exactly ``len(stage_channels)`` stages.
        query (str): ``'global'`` (default, KSANC): every stage is queried
            by the global descriptor. ``'hierarchical'`` (ours, one reading
            of HKSANC's unpublished-here hierarchy): the deepest supervised
            stage is queried by the global descriptor and each shallower one
            by the squeezed descriptor of the supervised stage just above.
            The default is the form the KSANC figure shows.
        attention_cfg (dict, optional): Options passed to every
            :class:`TaskDrivenAttention` (keys ``act``, ``pool_source``,
            ``pooling``). ``None`` means
            ``dict(act='relu', pool_source='fused', pooling='weighted_sum')``;
            a partial dict overrides those defaults (see that class for why).
        transform_cfg (dict, optional): Channel transform for stages whose
            width differs from the attention width: ``dict(type='conv_bn')``
            (default when ``None``) or ``dict(type='conv')``; see
            :func:`build_channel_transform`.
        always_transform (bool): Also put a transform on stages whose widths
            already match. Default False: the teacher's stages are squeezed
            as they are, as in the paper's figure.
        fuse_transform (bool): Compute a transformed stage's attention at
            the stage's own width (:func:`transformed_attention`): the same
            function, outputs and gradients as transform-then-estimator, but
            BatchNorm and the pooling never touch the teacher-wide maps.
            Default True; False runs the modules one after the other (the
            reference form, kept for checking and measuring).
        adapted_ckpt (str, optional): A checkpoint of the teacher
            adaptation phase (HKSANC phase 2). When set, the estimators are
            loaded from its ``connector.*`` weights (strictly; other
            recorded settings are refused) and the connector stays frozen:
            no parameter takes a gradient and it is always in eval mode.
            This is how a teacher-side connector is used with MMRazor's
            own algorithms (``FpnTeacherDistill``, ``SingleTeacherDistill``).
            Default None (trainable; ``HKSANCDistill`` loads and freezes
            its teacher connector itself from ``teacher_attention_ckpt``).
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 stage_channels: Sequence[int],
                 descriptor_channels: int,
                 attention_channels: Optional[Sequence[int]] = None,
                 descriptor_source: str = 'neck',
                 stage_indices: Optional[Sequence[int]] = None,
                 query: str = 'global',
                 attention_cfg: Optional[dict] = None,
                 transform_cfg: Optional[dict] = None,
                 always_transform: bool = False,
                 fuse_transform: bool = True,
                 adapted_ckpt: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.stage_channels = _check_widths('stage_channels', stage_channels)
        self.attention_channels = _check_widths(
            'attention_channels', self.stage_channels
            if attention_channels is None else attention_channels)
        if len(self.attention_channels) != len(self.stage_channels):
            raise ValueError(
                f'attention_channels has {len(self.attention_channels)} '
                f'entries but stage_channels has {len(self.stage_channels)}')
        self.descriptor_channels = _check_widths('descriptor_channels',
                                                 [descriptor_channels])[0]
        _check_choice('descriptor_source', descriptor_source,
                      _DESCRIPTOR_SOURCES)
        _check_choice('query', query, _QUERIES)
        self.descriptor_source = descriptor_source
        self.query = query
        self.fuse_transform = bool(fuse_transform)
        self.stage_indices = self._check_stage_indices(stage_indices)
        self.attention_cfg = self._merge_attention_cfg(attention_cfg)
        transform_cfg = (dict(type='conv_bn')
                         if transform_cfg is None else transform_cfg)

        self.transforms = nn.ModuleList()
        self.estimators = nn.ModuleList()
        num = len(self.stage_channels)
        for i, (c_in, c_att) in enumerate(
                zip(self.stage_channels, self.attention_channels)):
            if c_in != c_att or always_transform:
                self.transforms.append(
                    build_channel_transform(c_in, c_att, transform_cfg))
            else:
                self.transforms.append(nn.Identity())
            query_channels = (
                self.attention_channels[i + 1]
                if query == 'hierarchical' and i < num - 1 else
                self.descriptor_channels)
            self.estimators.append(
                TaskDrivenAttention(c_att, query_channels,
                                    **self.attention_cfg))
        self.last_attention_maps: Tuple[torch.Tensor, ...] = ()
        self.attention_maps: Tuple[torch.Tensor, ...] = ()
        self.descriptors: Tuple[torch.Tensor, ...] = ()
        self.keep_outputs = False
        self.input_grad_scale = 1.0
        self.frozen = False
        if adapted_ckpt:
            self.load_adapted(adapted_ckpt)

    def load_adapted(self, checkpoint: str) -> None:
        """Load task-adapted estimators from ``checkpoint`` and freeze."""
        from ..algorithms.teacher_attention import load_adapted_connector
        load_adapted_connector(self, checkpoint,
                               'connector adapted_ckpt')
        self.requires_grad_(False)
        self.frozen = True
        self.train(self.training)

    def train(self, mode: bool = True) -> 'HierarchicalAttentionConnector':
        """A frozen (adapted) connector always stays in eval mode."""
        return super().train(mode and not self.frozen)

    def settings(self) -> dict:
        """What decides the estimators' function besides their weights.

        Recorded in the teacher-adaptation checkpoint, so that distillation
        can refuse estimators adapted under other settings.
        """
        return dict(
            stage_channels=list(self.stage_channels),
            attention_channels=list(self.attention_channels),
            descriptor_channels=self.descriptor_channels,
            descriptor_source=self.descriptor_source,
            stage_indices=(None if self.stage_indices is None else list(
                self.stage_indices)),
            query=self.query,
            attention_cfg=dict(self.attention_cfg))

    def _check_stage_indices(
            self, stage_indices: Optional[Sequence[int]]) -> Optional[list]:
        if stage_indices is None:
            return None
        indices = list(stage_indices)
        if len(indices) != len(self.stage_channels):
            raise ValueError(
                f'stage_indices has {len(indices)} entries but '
                f'stage_channels has {len(self.stage_channels)}')
        if any(not isinstance(i, int) or isinstance(i, bool) or i < 0
               for i in indices) or indices != sorted(set(indices)):
            raise ValueError('stage_indices must be non-negative ints in '
                             f'strictly increasing order, got {indices!r}')
        return indices

    @staticmethod
    def _merge_attention_cfg(attention_cfg: Optional[dict]) -> dict:
        cfg = dict(act='relu', pool_source='fused', pooling='weighted_sum')
        if attention_cfg is not None:
            unknown = sorted(set(attention_cfg) - set(_ATTENTION_KEYS))
            if unknown:
                raise ValueError(f'attention_cfg has unknown keys {unknown}; '
                                 f'allowed: {_ATTENTION_KEYS}')
            cfg.update(attention_cfg)
        return cfg

    def _split(self, feature: Sequence[torch.Tensor]
               ) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """Return the supervised stages and the (N, D) global descriptor."""
        if not isinstance(feature, (tuple, list)):
            raise TypeError(
                'HierarchicalAttentionConnector expects a tuple/list of '
                'tensors recorded from one network (stages, plus the global '
                "descriptor last when descriptor_source='neck'), got "
                f'{type(feature).__name__}')
        if not all(isinstance(t, torch.Tensor) for t in feature):
            raise TypeError('every element of the recorded tuple must be a '
                            'torch.Tensor')
        if len(feature) == 0:
            raise ValueError('recorded tuple is empty; expected stage '
                             'features' + (' and the global descriptor' if
                                           self.descriptor_source == 'neck'
                                           else ''))
        if self.descriptor_source == 'neck':
            stages, descriptor = list(feature[:-1]), feature[-1]
        elif self.descriptor_source == 'pool_all_stages':
            stages = list(feature)
            descriptor = self._pool_all(stages)
        else:
            stages = list(feature)
            if stages[-1].dim() != 4:
                raise ValueError(
                    "descriptor_source='pool_last_stage' needs the last "
                    'recorded element as (N, C, H, W), got '
                    f'{tuple(stages[-1].shape)}')
            descriptor = stages[-1].mean(dim=(2, 3))
        extra = (' plus the descriptor'
                 if self.descriptor_source == 'neck' else '')
        if self.stage_indices is None:
            if len(stages) != len(self.stage_channels):
                raise ValueError(
                    f'recorded tuple has {len(stages)} stage entries{extra} '
                    f'but stage_channels lists {len(self.stage_channels)}; '
                    'set stage_indices to pick the supervised stages')
            chosen = stages
        else:
            needed = self.stage_indices[-1] + 1
            if len(stages) < needed:
                raise ValueError(
                    f'recorded tuple has {len(stages)} stage entries{extra} '
                    f'but stage_indices={self.stage_indices} needs at least '
                    f'{needed}')
            chosen = [stages[i] for i in self.stage_indices]
        return chosen, self._check_descriptor(descriptor)

    @staticmethod
    def _pool_all(stages: List[torch.Tensor]) -> torch.Tensor:
        """Mean over the recorded entries of their global average pools."""
        if any(t.dim() != 4 for t in stages):
            raise ValueError(
                "descriptor_source='pool_all_stages' needs every recorded "
                'element as (N, C, H, W), got '
                f'{[tuple(t.shape) for t in stages]}')
        widths = sorted({t.shape[1] for t in stages})
        if len(widths) != 1:
            raise ValueError(
                "descriptor_source='pool_all_stages' averages the pooled "
                f'entries, which needs one width; they have {widths}. Use '
                "'pool_last_stage' for stages of different widths.")
        return torch.stack([t.mean(dim=(2, 3)) for t in stages]).mean(0)

    def _check_descriptor(self, descriptor: torch.Tensor) -> torch.Tensor:
        if descriptor.dim() == 4 and descriptor.shape[2:] == (1, 1):
            descriptor = descriptor.flatten(1)
        if descriptor.dim() != 2:
            raise ValueError('global descriptor must be (N, D) or '
                             f'(N, D, 1, 1), got {tuple(descriptor.shape)}')
        if descriptor.shape[1] != self.descriptor_channels:
            what = ('global descriptor' if self.descriptor_source == 'neck'
                    else 'last stage (pooled as the global descriptor)')
            raise ValueError(
                f'{what} has {descriptor.shape[1]} channels but '
                f'descriptor_channels = {self.descriptor_channels}')
        return descriptor

    def _check_stage(self, i: int, stage: torch.Tensor) -> None:
        where = f'stage {i}'
        if self.stage_indices is not None:
            where += f' (recorded entry {self.stage_indices[i]})'
        if stage.dim() != 4:
            raise ValueError(f'{where}: recorded feature must be '
                             f'(N, C, H, W), got {tuple(stage.shape)}')
        if stage.shape[1] != self.stage_channels[i]:
            raise ValueError(
                f'{where}: recorded feature has {stage.shape[1]} channels '
                f'but stage_channels[{i}] = {self.stage_channels[i]}')

    def forward_train(self, feature: Sequence[torch.Tensor]
                      ) -> Tuple[torch.Tensor, ...]:
        """Squeeze every supervised stage.

        Args:
            feature (tuple[Tensor]): Tensors recorded from one network.

        Returns:
            tuple[Tensor]: One (N, attention_channels[i]) descriptor per
            supervised stage, shallow -> deep. The attention maps, (N, 1, H,
            W) per stage, are kept, detached, in ``self.last_attention_maps``.
            With ``self.keep_outputs`` set (by an algorithm that also needs
            them, e.g. for a loss on the maps; it clears them after use), the
            maps and the descriptors are kept with their graph in
            ``self.attention_maps`` and ``self.descriptors``.
            ``self.input_grad_scale`` (set by the algorithm for a connector
            warm-up and ramp) scales the gradient that reaches the network
            through the recorded tensors, not their values: 0 detaches them
            (the connector learns, the network gets nothing), 1 (default)
            leaves them as they are.
        """
        if self.input_grad_scale != 1.0 and isinstance(feature,
                                                      (tuple, list)):
            feature = type(feature)(
                scale_gradient(t, self.input_grad_scale)
                if isinstance(t, torch.Tensor) else t for t in feature)
        stages, global_descriptor = self._split(feature)
        for i, stage in enumerate(stages):
            self._check_stage(i, stage)
        num = len(stages)
        descriptors: List[Optional[torch.Tensor]] = [None] * num
        maps: List[Optional[torch.Tensor]] = [None] * num
        query = global_descriptor
        for i in reversed(range(num)):  # deep -> shallow for the chain
            if self.query == 'global':
                query = global_descriptor
            transform, estimator = self.transforms[i], self.estimators[i]
            if self.fuse_transform and is_fusable(transform):
                descriptors[i], maps[i] = transformed_attention(
                    stages[i], query, transform, estimator)
            else:
                descriptors[i], maps[i] = estimator(transform(stages[i]),
                                                    query)
            query = descriptors[i]
        self.last_attention_maps = tuple(m.detach() for m in maps)
        if self.keep_outputs:
            self.attention_maps = tuple(maps)
            self.descriptors = tuple(descriptors)
        return tuple(descriptors)
