# Student schedule of the Fashion-MNIST protocol (BENCHMARK.md): 60 epochs
# over the 1,000 labelled images, SGD with a one-cycle schedule peaking at 0.1.
max_epochs = 60
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = dict(
    type='OneCycleLR',
    eta_max=0.1,
    total_steps=max_epochs,  # in epochs, converted to iterations
    by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
