"""plot_curves: panels, overlaid runs, the plotted values, the PNG."""
import matplotlib.image as mpimg
import numpy as np
import pytest

from mmhkd.visualization.curves import (DISC_ACCURACIES, DISC_LOSSES, OTHER,
                                        STUDENT_LOSSES, VALIDATION,
                                        plot_curves, select_keys)
from mmhkd.visualization.scalar_logs import RunScalars


def make_run(name: str, scale: float) -> RunScalars:
    train = [{
        'iter': i, 'epoch': 1 + (i - 1) // 4, 'student.lr': 0.1,
        'loss': scale * i, 'distill.loss_is': scale / i,
        'disc.loss_real': 0.5 * i, 'disc.acc_real': i / 8
    } for i in range(1, 9)]
    val = [{'step': 1, 'iter': 4, 'accuracy/top1': 10 * scale},
           {'step': 2, 'iter': 8, 'accuracy/top1': 20 * scale}]
    return RunScalars(name=name, train=train, val=val)


def axes_by_title(fig) -> dict:
    return {ax.get_title(): ax for ax in fig.axes}


def test_keys_grouped_by_panel():
    runs = [make_run('a', 1.0)]
    assert select_keys(runs) == {
        STUDENT_LOSSES: [('loss', 'train'), ('distill.loss_is', 'train')],
        DISC_LOSSES: [('disc.loss_real', 'train')],
        DISC_ACCURACIES: [('disc.acc_real', 'train')],
        VALIDATION: [('accuracy/top1', 'val')],
    }
    assert select_keys(runs, ['distill.*', '*.lr']) == {
        STUDENT_LOSSES: [('distill.loss_is', 'train')],
        OTHER: [('student.lr', 'train')],
    }


def test_two_runs_overlaid_with_their_values(tmp_path):
    runs = [make_run('run_a', 1.0), make_run('run_b', 3.0)]
    fig = plot_curves(runs)
    axes = axes_by_title(fig)
    assert set(axes) == {STUDENT_LOSSES, DISC_LOSSES, DISC_ACCURACIES,
                         VALIDATION}
    losses = axes[STUDENT_LOSSES]
    assert len(losses.lines) == 4  # 2 keys x 2 runs
    lines = {line.get_label(): line for line in losses.lines}
    assert set(lines) == {'loss [run_a]', 'loss [run_b]',
                          'distill.loss_is [run_a]', 'distill.loss_is [run_b]'}
    np.testing.assert_array_equal(lines['loss [run_b]'].get_xdata(),
                                  np.arange(1, 9))
    np.testing.assert_allclose(lines['loss [run_b]'].get_ydata(),
                               3.0 * np.arange(1, 9))
    # a key keeps its colour, a run its line style
    assert lines['loss [run_a]'].get_color() == lines['loss [run_b]'
                                                      ].get_color()
    assert lines['loss [run_a]'].get_linestyle() != lines['loss [run_b]'
                                                          ].get_linestyle()
    val = {line.get_label(): line for line in axes[VALIDATION].lines}
    np.testing.assert_array_equal(val['accuracy/top1 [run_b]'].get_xdata(),
                                  [4, 8])
    np.testing.assert_allclose(val['accuracy/top1 [run_b]'].get_ydata(),
                               [30.0, 60.0])
    assert len(axes[DISC_ACCURACIES].lines) == 2
    legend = [t.get_text() for t in losses.get_legend().get_texts()]
    assert 'loss [run_a]' in legend

    path = str(tmp_path / 'curves.png')
    fig.savefig(path, dpi=100)
    pixels = mpimg.imread(path)
    assert pixels.shape[:2] == (700, 1200)  # 2x2 panels of 6x3.5 in
    assert pixels[..., :3].std() > 0.05


def test_one_run_labels_and_single_panel():
    fig = plot_curves([make_run('solo', 1.0)], keys=['loss'],
                      log_losses=True, panel_inches=(4.0, 3.0), dpi=50)
    assert [ax.get_title() for ax in fig.axes] == [STUDENT_LOSSES]
    assert [line.get_label() for line in fig.axes[0].lines] == ['loss']
    assert fig.axes[0].get_yscale() == 'log'
    np.testing.assert_allclose(fig.get_size_inches(), [4.0, 3.0])


def test_nothing_to_plot_is_an_error():
    with pytest.raises(ValueError, match='no key to plot'):
        plot_curves([make_run('a', 1.0)], keys=['nope*'])
    with pytest.raises(ValueError, match='no run'):
        plot_curves([])
