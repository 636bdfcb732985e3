"""Install mmhkd with the version window it supports (ranges, not pins)."""
import os
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'mmhkd', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def mim_package_data() -> list:
    """Files under ``mmhkd/.mim`` (links to ``configs/`` and
    ``model-index.yml``), copied into a built wheel so that ``mmhkd::``
    config paths resolve there too (see mmhkd/config_scope.py)."""
    package = osp.join(HERE, 'mmhkd')
    files = []
    for folder, dirs, names in os.walk(
            osp.join(package, '.mim'), followlinks=True):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        files += [
            osp.relpath(osp.join(folder, name), package)
            for name in sorted(names) if not name.endswith('.pyc')
        ]
    return files


# Ranges, not pins: a user keeps the torch they have. The lower ends are the
# oldest versions tested here (torch) or the windows that mmrazor's and
# mmpretrain's own import-time asserts accept (mmengine, mmcv); the exactly
# tested set is requirements/constraints.txt (tools/install.sh, CI).
INSTALL_REQUIRES = [
    'torch>=2.13,<3',
    'torchvision>=0.28,<1',
    'mmengine>=0.8.3,<1.0.0',  # mmpretrain 1.2.0 asserts this window
    'mmcv-lite>=2.0.0,<=2.1.0',  # mmrazor 1.0.0 asserts mmcv <= 2.1.0
    'mmpretrain>=1.2.0,<2',
    'mmrazor==1.0.0',  # the compat layer patches this release
    'scipy',  # imported by mmrazor's OFD distiller, not declared by it
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
    package_data={'mmhkd': mim_package_data()},
    python_requires='>=3.9',
    install_requires=INSTALL_REQUIRES,
    extras_require={
        'tests': ['pytest', 'tensorboard'],
        # detection / segmentation on mmcv-lite: enable the compiled-op
        # stand-in with `import mmhkd.compat.mmcv_ops`
        'det': ['mmdet==3.3.0'],
        'seg': ['mmsegmentation==1.2.2', 'ftfy', 'regex'],  # mmseg omits
    },
    license='Apache-2.0',
)
