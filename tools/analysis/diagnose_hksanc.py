#!/usr/bin/env python
"""Diagnose an HKSANC distillation config (or a checkpoint of its run).

On real batches of the config's training data, reports (Li et al., AAAI
2020; docs/diagnostics.md): per-term gradient norms reaching each student
stage and their cosines; the share of L_is that fitting only the student
connector removes on a frozen student (held-out images); the attention
maps' normalised entropy and KL(M_T || M_S); the discriminator's accuracies.

Example:
    python tools/analysis/diagnose_hksanc.py \
        configs/hksanc/hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py \
        --out-json diag.json --out-md diag.md
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmhkd  # noqa: E402,F401  (registers components, applies fixes)
from mmhkd.analysis.diagnose import diagnose_config  # noqa: E402
from mmhkd.analysis.report import to_markdown  # noqa: E402
from mmhkd.engine.launch import DictAction  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='HKSANC distillation config')
    parser.add_argument('--checkpoint',
                        help='checkpoint of a distillation run (default: '
                        'the model at initialisation)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='key=value overrides of the config')
    parser.add_argument('--batches', type=int, default=8,
                        help='training batches measured (default 8)')
    parser.add_argument('--heldout-batches', type=int,
                        help='held-out batches (default: --batches)')
    parser.add_argument('--heldout', choices=('test', 'val'), default='test',
                        help='loader of the held-out images (default test)')
    parser.add_argument('--fit-steps', type=int, default=200,
                        help='Adam steps of the connector fit (default 200)')
    parser.add_argument('--fit-lr', type=float, default=1e-3,
                        help='Adam learning rate of the fit (default 1e-3)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out-json', help='write the numbers here')
    parser.add_argument('--out-md', help='write the Markdown tables here')
    return parser.parse_args(argv)


def _write(path: str, text: str) -> None:
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def main(argv=None) -> dict:
    args = parse_args(argv)
    result = diagnose_config(
        args.config,
        checkpoint=args.checkpoint,
        cfg_options=args.cfg_options,
        batches=args.batches,
        heldout_batches=args.heldout_batches,
        heldout=args.heldout,
        fit_steps=args.fit_steps,
        fit_lr=args.fit_lr,
        seed=args.seed)
    markdown = to_markdown(result)
    if args.out_json:
        _write(args.out_json, json.dumps(result, indent=2) + '\n')
    if args.out_md:
        _write(args.out_md, markdown + '\n')
    print(markdown)
    return result


if __name__ == '__main__':
    main()
