"""The cost file's Markdown table."""
from benchmarks.cost_table import cost_markdown


def test_rows_ratios_and_notes():
    cost = dict(methods=dict(
        kd=dict(ms_per_step=800.0, ms_per_step_vs_kd=1.0, peak_rss_mib=1000,
                step_memory_mib=100, step_memory_mib_vs_kd=1.0,
                added_trainable=0, added_to_deployed=0),
        hksanc=dict(ms_per_step=1600.0, ms_per_step_vs_kd=2.0,
                    ms_vs_plain_pytorch=1.04, added_trainable=142370,
                    added_to_deployed=0),
        **{'hksanc-plain-pytorch': dict(ms_per_step=1540.0,
                                        ms_per_step_vs_kd=1.925,
                                        added_trainable=142370,
                                        added_to_deployed=0)}),
        hksanc_step_parts_ms={'teacher forward': 400.4})
    lines = cost_markdown(cost).splitlines()
    assert lines[2] == '| KD | 800 | 1.00x | 1000 | 100 | 1.00x | 0 | 0 |'
    assert lines[3] == ('| HKSANC (global query) | 1600 | 2.00x | - | - | - '
                        '| 142,370 | 0 |')
    assert lines[4].startswith('| HKSANC, plain-PyTorch loop (no Runner) | '
                               '1540 | 1.93x |')
    assert 'Runner / plain-PyTorch loop: 1.04x.' in lines[6]
    assert lines[8].endswith('teacher forward 400.')


def test_unfused_row_sits_between_hksanc_and_the_plain_loop():
    row = dict(ms_per_step=1.0, added_trainable=1, added_to_deployed=0)
    cost = dict(methods={'hksanc': row, 'hksanc-plain-pytorch': row,
                         'hksanc-unfused': row, 'kd': row})
    labels = [line.split(' | ')[0] for line in
              cost_markdown(cost).splitlines()[2:6]]
    assert labels == ['| KD', '| HKSANC (global query)',
                      '| HKSANC, student connector unfused (transform, '
                      'then estimator)',
                      '| HKSANC, plain-PyTorch loop (no Runner)']
