"""Markdown table of a cost file written by tools/benchmark/measure_step_cost.py."""
from typing import Dict

from .methods import METHODS

PLAIN = 'hksanc-plain-pytorch'
UNFUSED = 'hksanc-unfused'
CACHED_SUFFIX = '-cached'


def _ratio(row: dict, key: str) -> str:
    value = row.get(f'{key}_vs_kd')
    return '-' if value is None else f'{value:.2f}x'


def cost_markdown(cost: Dict) -> str:
    """One row per method (benchmark order, the plain loop after HKSANC)."""
    rows = cost['methods']
    labels = {m.name: m.label for m in METHODS}
    labels[PLAIN] = 'HKSANC, plain-PyTorch loop (no Runner)'
    order = [m.name for m in METHODS]
    labels[UNFUSED] = ('HKSANC, student connector unfused '
                       '(transform, then estimator)')
    order.insert(order.index('hksanc') + 1, PLAIN)
    order.insert(order.index('hksanc') + 1, UNFUSED)
    for name in list(order):
        if name + CACHED_SUFFIX in rows:
            order.insert(order.index(name) + 1, name + CACHED_SUFFIX)
            labels[name + CACHED_SUFFIX] = (
                f'{labels[name]}, teacher side from the cache')
    lines = [
        '| method | ms / step | vs KD | peak RSS MiB | step memory MiB | '
        'vs KD | trainable params added | params added to deployed student |',
        '|---|---|---|---|---|---|---|---|'
    ]
    for name in order:
        row = rows.get(name)
        if row is None:
            continue
        peak = row.get('peak_rss_mib')
        step = row.get('step_memory_mib')
        lines.append(
            f"| {labels[name]} | {row['ms_per_step']:.0f} | "
            f"{_ratio(row, 'ms_per_step')} | "
            f"{'-' if peak is None else f'{peak:.0f}'} | "
            f"{'-' if step is None else f'{step:.0f}'} | "
            f"{_ratio(row, 'step_memory_mib')} | "
            f"{row['added_trainable']:,} | {row['added_to_deployed']:,} |")
    text = '\n'.join(lines) + '\n'
    if 'hksanc' in rows and 'ms_vs_plain_pytorch' in rows['hksanc']:
        text += ('\nHKSANC through the Runner / plain-PyTorch loop: '
                 f"{rows['hksanc']['ms_vs_plain_pytorch']:.2f}x.\n")
    vanilla = rows.get('vanilla', {}).get('ms_per_step')
    for name in order:
        row = rows.get(name)
        if row is None or not name.endswith(CACHED_SUFFIX):
            continue
        live = rows.get(name[:-len(CACHED_SUFFIX)], {}).get('ms_per_step')
        facts = [f"{labels[name]}: {row['ms_per_step']:.0f} ms"]
        if live:
            facts.append(f"{row['ms_per_step'] / live:.2f}x its live-teacher "
                         'step')
        if vanilla:
            facts.append(f"{row['ms_per_step'] / vanilla:.2f}x the vanilla "
                         'student\'s step')
        facts.append(f"cache {row['cache_bytes_per_view']:,} bytes per view, "
                     f"built for {row['cache_images']:,} images x 1 view in "
                     f"{row['cache_build_s']:.1f} s")
        text += '\n' + '; '.join(facts) + '.\n'
    parts = cost.get('hksanc_step_parts_ms')
    if parts:
        text += ('\nWhere the plain HKSANC step\'s time goes (median ms): ' +
                 '; '.join(f'{k} {v:.0f}' for k, v in parts.items()) + '.\n')
    return text
