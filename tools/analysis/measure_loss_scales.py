#!/usr/bin/env python
"""Print each HKSANC loss term and its gradient norm on the student.

Used to choose the default weights/reductions by measurement (its results:
docs/benchmark.md, "Scale of the losses"; the defaults they chose:
docs/method.md, "Open choices", the rows of lambda1 and lambda3): for a
few training batches at initialisation, every student-side term
(``distill.loss_backbone``, ``distill.loss_is``, ``distill.loss_adv``) is
back-propagated alone and the L2 norm of its gradient over the student's
trainable parameters (backbone, neck, head and student connectors) is
reported, next to the plain cross-entropy's for reference.

Example:
    python tools/analysis/measure_loss_scales.py \
        configs/hksanc/hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py \
        --batches 5 --out work_dirs/loss_scales.json
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, List

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import mmhkd  # noqa: E402,F401
from mmhkd.engine.launch import DictAction, build_runner_config  # noqa: E402
from mmhkd.models.algorithms.hksanc_distill import gt_labels_of  # noqa: E402


def student_parameters(model) -> List[torch.nn.Parameter]:
    params = list(model.architecture.parameters())
    for name, connector in model.distiller.connectors.items():
        if name not in model.teacher_connector_names:
            params += list(connector.parameters())
    return [p for p in params if p.requires_grad]


def grad_norm(loss: torch.Tensor, params: List[torch.nn.Parameter]) -> float:
    grads = torch.autograd.grad(
        loss, params, retain_graph=True, allow_unused=True)
    return float(
        torch.sqrt(sum((g**2).sum() for g in grads if g is not None)))


def measure(model, data: dict) -> Dict[str, Dict[str, float]]:
    data = model.data_preprocessor(data, True)
    inputs, samples = data['inputs'], data['data_samples']
    losses = model.loss(inputs, samples)
    labels = gt_labels_of(samples)
    student_logits = model.distiller.get_record('logits', True)
    losses['distill.loss_adv'] = model.student_adversarial_loss(
        student_logits, labels)
    losses['reference.cross_entropy'] = F.cross_entropy(
        student_logits, labels)
    params = student_parameters(model)
    return {
        name: dict(value=float(loss), grad_norm=grad_norm(loss, params))
        for name, loss in losses.items()
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--batches', type=int, default=5)
    parser.add_argument('--out', help='write the means to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = build_runner_config(
        args.config, work_dir='work_dirs/loss_scales',
        cfg_options=args.cfg_options, overwrite=True)  # saves nothing
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    model = runner.model
    model.train()
    sums: Dict[str, Dict[str, float]] = {}
    for index, data in enumerate(runner.train_dataloader):
        if index == args.batches:
            break
        for name, stats in measure(model, data).items():
            entry = sums.setdefault(name, dict(value=0.0, grad_norm=0.0))
            for key in entry:
                entry[key] += stats[key] / args.batches
    print(f'{"term":28s} {"value":>10s} {"grad norm":>10s}')
    for name, stats in sums.items():
        print(f'{name:28s} {stats["value"]:10.4f} {stats["grad_norm"]:10.4f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(sums, f, indent=2)
    return sums


if __name__ == '__main__':
    main()
