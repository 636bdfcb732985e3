# HKSANC phase 2 of 3: teacher adaptation. The trained teacher is frozen; its
# task-driven attention estimators (one per stage, queried by the teacher's
# own global descriptor) are trained with the task through a linear
# classifier on the concatenated squeezed descriptors: 1 epoch, Adam 1e-3
# with a cosine decay (ours; the paper trains them "task-driven", not by the
# distillation loss: docs/method.md, "Open choices", teacher adaptation).
# The distillation config (phase 3) loads `connector.*` from this run's
# work_dirs/<config>/epoch_1.pth and keeps the estimators frozen.
#
# A concrete config adds the dataset, the teacher (model.architecture), its
# checkpoint (model.teacher_ckpt), the data preprocessor, num_classes and
# the connector's widths.
_base_ = ['../default_runtime.py']
default_scope = 'mmrazor'

model = dict(
    _scope_='mmrazor',
    type='AttentionAdaptation',
    # 'neck': mmhkd's GlobalDescriptorNeck returns (*stages, descriptor);
    # 'backbone': a stock model's stage tuple, with the connector's
    # descriptor_source='pool_last_stage'.
    feature_source='neck',
    connector=dict(
        type='HierarchicalAttentionConnector',
        descriptor_source='neck',
        # The same query and attention_cfg as the distillation's connectors
        # (configs/_base_/hksanc/hksanc_defaults.py): the checkpoint records
        # them and distillation refuses estimators adapted under others.
        query='global',
        attention_cfg=dict(
            act='relu', pool_source='fused', pooling='weighted_sum')))

# Distributed training (only with a launcher other than 'none'): the same
# wrapper as distillation; it runs mmengine's DDP step for this algorithm.
model_wrapper_cfg = dict(type='HKSANCDistributedDataParallel')

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, T_max=1,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
val_cfg = dict()
test_cfg = dict()
