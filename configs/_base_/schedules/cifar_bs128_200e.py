# The HKSANC paper's CIFAR student schedule (docs/method.md, "Training
# schedule"): SGD lr 0.1, momentum 0.9, weight decay 5e-4, 200 epochs, lr
# x0.1 at epochs 100 and 150, for batch 128. The batch size lives in the
# dataloader: a config using this schedule sets
#   train_dataloader = dict(batch_size=128)
# (the CIFAR dataset bases default to the benchmark's 64).
# HKSANC configs reuse `optim_wrapper.optimizer` and `param_scheduler` for
# their `student` optimizer (HKSANCOptimWrapperConstructor).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[100, 150], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
