# HKSANC phase 3 with the hierarchical (top-down) query on both networks;
# the teacher estimators come from
# hksanc-adaptation-hierarchical_preact-resnet29_1xb128_fashion-mnist.py.
_base_ = ['./hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py']
model = dict(
    teacher_attention_ckpt=('work_dirs/hksanc-adaptation-hierarchical_'
                            'preact-resnet29_1xb128_fashion-mnist/'
                            'epoch_1.pth'),
    distiller=dict(
        connectors=dict(
            student_attention=dict(query='hierarchical'),
            teacher_attention=dict(query='hierarchical'))))
