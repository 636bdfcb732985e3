"""Install mmhkd and its pinned OpenMMLab window."""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'mmhkd', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


INSTALL_REQUIRES = [
    'torch==2.14.1',
    'torchvision==0.29.1',
    'mmengine==0.10.7',
    'mmcv-lite==2.1.0',
    'mmpretrain==1.2.0',
    'mmrazor==1.0.0',
    'setuptools<81',  # mmengine imports pkg_resources
    'joblib',  # imported by mmrazor, not declared by it
    'matplotlib',
]

setup(
    name='mmhkd',
    version=read_version(),
    description=('Hierarchical Knowledge Squeezed Adversarial Network '
                 'Compression (HKSANC) for MMRazor'),
    packages=find_packages(include=['mmhkd', 'mmhkd.*']),
    python_requires='>=3.9',
    install_requires=INSTALL_REQUIRES,
    extras_require={'tests': ['pytest', 'tensorboard']},
    license='Apache-2.0',
)
