# Student schedule of the Fashion-MNIST protocol (docs/benchmark.md): 60 epochs
# over the 1,000 labelled images, SGD with a one-cycle schedule peaking at 0.1.
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = dict(
    type='OneCycleLR',
    eta_max=0.1,
    total_steps=60,  # in epochs (converted to iterations), = max_epochs
    by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=10)
val_cfg = dict()
test_cfg = dict()
