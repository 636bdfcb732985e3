"""Markdown tables of a :func:`mmhkd.analysis.diagnose.diagnose` result."""
from typing import List, Optional, Sequence


def _fmt(value: Optional[float], digits: int = 3) -> str:
    if value is None:
        return 'n/a'
    if value != value:  # NaN
        return 'nan'
    if value != 0 and abs(value) < 10**-digits:
        return f'{value:.1e}'
    return f'{value:.{digits}f}'


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> List[str]:
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---' for _ in header) + '|']
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return lines + ['']


def to_markdown(result: dict) -> str:
    """The diagnostics as Markdown: one table per measurement."""
    stages = result['stages']
    meta = result.get('meta', {})
    lines = ['# HKSANC diagnostics', '']
    if meta:
        lines += [f'- {k}: `{v}`' for k, v in meta.items()] + ['']
    lines += [f"Measured on {result['batches']} training batches "
              f"({result['images']} images).", '']

    lines += ['## Gradient norm reaching each student stage', '',
              'L2 norm of d term / d stage output (mean over batches); '
              'in brackets, the ratio to the reference cross-entropy\'s. '
              'Last two columns: gradient norm over the student network\'s '
              'parameters and over the student connectors\'.', '']
    header = ['term', 'value'] + stages + ['student net params',
                                           'student connector params']
    rows = []
    for name, term in result['terms'].items():
        cells = [f'{_fmt(n)} ({_fmt(r, 2)})' for n, r in zip(
            term['stage_grad_norm'], term['stage_grad_norm_over_ce'])]
        params = term['parameter_grad_norm']
        rows.append([f'`{name}`', _fmt(term['value'], 4)] + cells +
                    [_fmt(params['student_network']),
                     _fmt(params['student_connectors'])])
    lines += _table(header, rows)

    lines += ['## Cosine between the terms\' gradients per stage', '']
    rows = [[f'`{a}` / `{b}`'] + [_fmt(c) for c in cosines]
            for pair, cosines in result['cosines'].items()
            for a, b in [pair.split('|')]]
    lines += _table(['pair'] + stages, rows)

    fit = result.get('connector_fit')
    if fit:
        lines += [
            '## Share of L_is removed by fitting only the student connector',
            '', f"Frozen student; a copy of `{fit['connector']}` fitted with "
            f"Adam (lr {fit['lr']}, {fit['steps']} steps) on the training "
            f"batches with L_is alone; measured on {fit['heldout_batches']} "
            f"held-out batches ({fit['heldout_images']} images). Share = "
            '1 - after / before.', '']
        before, after = fit['heldout_before'], fit['heldout_after']
        rows = [[f'stage {i}', _fmt(b, 4), _fmt(a, 4), _fmt(s)]
                for i, (b, a, s) in enumerate(
                    zip(before['stages'], after['stages'],
                        fit['share']['stages']))]
        rows.append(['total (weighted L_is)', _fmt(before['total'], 4),
                     _fmt(after['total'], 4), _fmt(fit['share']['total'])])
        header = ['', 'held-out before', 'held-out after', 'share removed']
        if fit.get('fit_share'):
            header.append('share on the fitting batches')
            for row, s in zip(rows, fit['fit_share']['stages'] +
                              [fit['fit_share']['total']]):
                row.append(_fmt(s))
        lines += _table(header, rows)
        if fit.get('curve'):
            lines += ['Held-out share of the total during the fit: ' +
                      ', '.join(f"{_fmt(p['share'])} after {p['steps']}"
                                for p in fit['curve']) + ' steps.', '']

    if result.get('attention'):
        lines += ['## Attention maps', '',
                  'Normalised entropy H(M) / log(H W) (1 = uniform) and '
                  'KL(M_T || M_S) in nats (same H x W on both sides), '
                  'means over samples.', '']
        rows = [[f'stage {i}', str(s['positions'][0]),
                 _fmt(s['teacher_entropy']), _fmt(s['student_entropy']),
                 _fmt(s['kl_teacher_student'], 4)]
                for i, s in enumerate(result['attention'])]
        lines += _table(['', 'H x W', 'teacher entropy', 'student entropy',
                         r'KL(M_T \|\| M_S)'], rows)

    disc = result.get('discriminator')
    if disc:
        lines += ['## Discriminator accuracies', '',
                  '`eval`: D in eval mode on each side (as the student step '
                  'sees it); `train_joint`: D in train mode on the joint '
                  'batch (as its own update and the training log).', '']
        keys = list(next(iter(disc.values())))
        rows = [[mode] + [_fmt(values[k]) for k in keys]
                for mode, values in disc.items()]
        lines += _table(['mode'] + keys, rows)
    return '\n'.join(lines)
