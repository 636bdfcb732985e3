# The v2 Fashion-MNIST protocol (docs/benchmark.md, "v2"), shared by every
# method of the paired benchmark:
# - the 10-epoch teacher (the v1 teacher of 2 epochs stays for the v1
#   records);
# - the 1,000 labelled images as a pool of replayable augmented views
#   (ViewPoolDataset): view v of image i is the same in every method, and
#   seed k draws the same views in the same order for every method, so the
#   distillation methods can read the teacher from a cache of that pool;
# - validation on the 10,000 test images at epochs 52, 54, ..., 60: the
#   benchmark reads the last one and the mean of the five
#   (docs/benchmark.md says which the pilot chose).
# Each v2 config reads these constants once, where it sets model.teacher_ckpt,
# train_cfg and its train_dataloader's ViewPoolDataset: to change a run, set
# those keys (redefining a constant in a config that inherits a v2 config
# changes nothing).
v2_teacher_ckpt = 'checkpoints/preact-resnet29-10e_1xb128_fashion-mnist.pth'
v2_num_views = 32
v2_cache_seed = 0
v2_train_cfg = dict(val_begin=51, val_interval=2)
