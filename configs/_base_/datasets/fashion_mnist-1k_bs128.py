# The student's labelled set of the Fashion-MNIST protocol
# (docs/benchmark.md):
# a class-balanced subset of 1,000 training images (100 per class, drawn
# with subset_seed); accuracy is read from the full 10,000-image test set.
_base_ = ['./fashion_mnist_bs128.py']
train_dataloader = dict(dataset=dict(num_per_class=100, subset_seed=0))
