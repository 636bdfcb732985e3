# HKSANC phase 2 with the hierarchical (top-down) query (ours;
# docs/method.md, query_mode):
# the deepest stage's estimator is queried by the global descriptor, each
# shallower one by the squeezed descriptor of the stage above it. The teacher
# estimators' query widths differ from the global form, so this query needs
# its own adaptation run; the matching phase 3 is
# hksanc-hierarchical_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py.
_base_ = ['./hksanc-adaptation_preact-resnet29_1xb128_fashion-mnist.py']
model = dict(connector=dict(query='hierarchical'))
