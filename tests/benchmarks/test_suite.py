"""The suite's plan, and real (tiny) runs through tools/train.py: records,
skipping finished runs, resuming interrupted ones, failing clearly."""
import json
import os
import os.path as osp

import pytest

from benchmarks.methods import METHODS, method_by_name
from benchmarks.run_record import read_val_curve
from benchmarks.suite import (QUICK_OPTIONS, VALIDATION_OPTIONS, Run,
                              Suite, adaptation_checkpoint,
                              has_checkpoint, plan_runs, strip_repo_root)
from conftest import REPO_ROOT

# one epoch on one image per class, validated on 10 test images
TINY = ('train_cfg.max_epochs=1', 'train_dataloader.batch_size=4',
        'train_dataloader.dataset.num_per_class=1',
        'val_dataloader.dataset.num_per_class=1')


def test_plan_is_seed_major_with_every_seed():
    runs = plan_runs(work_root='w')
    method_runs = [r for r in runs if r.method]
    assert len(method_runs) == sum(m.num_seeds for m in METHODS)
    seeds = [r.seed for r in method_runs]
    assert seeds == sorted(seeds)  # all seed-0 runs first
    assert len({r.name for r in runs}) == len(runs)
    for run in method_runs:
        assert f'randomness.seed={run.seed}' in run.options
        assert f'train_dataloader.sampler.seed={run.seed}' in run.options
        assert run.config == method_by_name(run.method).config


def test_hksanc_runs_wait_for_their_attention_phase():
    runs = {r.name: r for r in plan_runs(work_root='w')}
    phases = {n: r for n, r in runs.items() if r.method is None}
    assert set(phases) == {'adaptation-global', 'adaptation-hierarchical'}
    for run in runs.values():
        method = method_by_name(run.method) if run.method else None
        if method is None or method.adaptation is None:
            assert run.needs == []
            continue
        (phase, ) = run.needs
        assert phases[phase].config == method.adaptation
        assert ('model.teacher_attention_ckpt=' +
                adaptation_checkpoint(phases[phase].work_dir)) in run.options


def test_quick_and_extra_options_and_seed_override():
    quick = plan_runs([method_by_name('kd')], work_root='w', quick=True,
                      num_seeds=2, extra_options=VALIDATION_OPTIONS,
                      name_suffix='-t1')
    assert [r.name for r in quick] == ['kd-t1__seed0', 'kd-t1__seed1']
    for run in quick:
        assert set(QUICK_OPTIONS) <= set(run.options)
        assert set(VALIDATION_OPTIONS) <= set(run.options)
    full = plan_runs([method_by_name('kd')], work_root='w')
    assert not set(QUICK_OPTIONS) & set(full[0].options)


def test_command_resumes_only_when_asked():
    run = Run('a', 'cfg.py', ['x=1'], 'w/a')
    assert run.command('py', False) == [
        'py', 'tools/train.py', 'cfg.py', '--work-dir', 'w/a',
        '--cfg-options', 'x=1']
    assert '--resume' in run.command('py', True)


def test_has_checkpoint(tmp_path):
    assert not has_checkpoint(str(tmp_path))
    (tmp_path / 'epoch_3.pth').write_bytes(b'')
    assert has_checkpoint(str(tmp_path))


def tiny_vanilla_suite(tmp_path, extra=TINY):
    runs = plan_runs([method_by_name('vanilla')], num_seeds=1,
                     work_root=str(tmp_path / 'work'), extra_options=extra)
    return Suite(runs, str(tmp_path / 'results'), repo_root=REPO_ROOT)


def test_real_run_is_recorded_then_skipped(tmp_path, capsys, monkeypatch):
    # HEAD moves once the run has started: the record names the code it ran
    head = ['commit-at-start']
    monkeypatch.setattr('benchmarks.suite.git_commit',
                        lambda repo_root: head[0])
    start = Suite._start

    def start_then_commit(self, run):
        proc = start(self, run)
        head[0] = 'commit-at-end'
        return proc

    monkeypatch.setattr(Suite, '_start', start_then_commit)
    suite = tiny_vanilla_suite(tmp_path)
    suite.run(poll_s=0.2)
    (run, ) = suite.runs
    record = json.load(open(suite.record_path(run)))
    curve, logs = read_val_curve(run.work_dir)
    assert record['top1'] == curve[1]  # the last (only) validated epoch
    assert record['top1_per_epoch'] == {'1': curve[1]}
    assert record['seed'] == 0 and record['method'] == 'vanilla'
    assert record['commit'] == 'commit-at-start'
    assert record['command'].startswith('python tools/train.py configs/'
                                        'vanilla/')
    assert open(suite.log_path(run)).read() == strip_repo_root(
        open(logs[0]).read(), REPO_ROOT)
    stamp = os.stat(suite.record_path(run)).st_mtime_ns
    capsys.readouterr()
    tiny_vanilla_suite(tmp_path).run(poll_s=0.2)
    out = capsys.readouterr().out
    assert '1 runs, 1 already done, 0 to run' in out
    assert '[suite] start' not in out
    assert os.stat(suite.record_path(run)).st_mtime_ns == stamp


def test_failed_run_names_its_log_and_writes_no_record(tmp_path):
    bad = TINY + ('train_dataloader.dataset.data_root=/nonexistent',)
    suite = tiny_vanilla_suite(tmp_path, extra=bad)
    with pytest.raises(RuntimeError, match=r'run vanilla__seed0 failed '
                       r'\(exit 1\); see .*suite_stdout.log'):
        suite.run(poll_s=0.2)
    (run, ) = suite.runs
    assert not osp.exists(suite.record_path(run))
    log = open(osp.join(run.work_dir, 'suite_stdout.log')).read()
    assert 'Data file not found: /nonexistent' in log


def test_missing_dependency_is_reported(tmp_path):
    run = Run('b', 'cfg.py', [], str(tmp_path / 'b'), needs=['nowhere'])
    with pytest.raises(RuntimeError, match=r"not in the plan: \['b'\]"):
        Suite([run], str(tmp_path / 'results')).run(poll_s=0.01)


def test_duplicate_names_are_refused(tmp_path):
    run = Run('b', 'cfg.py', [], 'w')
    with pytest.raises(ValueError, match='not unique'):
        Suite([run, run], str(tmp_path))


def test_stopping_the_suite_stops_its_runs(tmp_path):
    """SIGTERM to the suite terminates its tools/train.py children."""
    import signal
    import subprocess
    import sys
    import time
    work = tmp_path / 'work'
    script = f'''
import sys
sys.path.insert(0, {REPO_ROOT!r})
from benchmarks.methods import method_by_name
from benchmarks.suite import Suite, plan_runs
runs = plan_runs([method_by_name('vanilla')], num_seeds=1,
                 work_root={str(work)!r},
                 extra_options={TINY!r} + ('train_cfg.max_epochs=500',))
Suite(runs, {str(tmp_path / 'results')!r}, repo_root={REPO_ROOT!r}).run(
    poll_s=0.1)
'''
    suite = subprocess.Popen([sys.executable, '-c', script])

    def children():
        found = []
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                cmdline = open(f'/proc/{pid}/cmdline', 'rb').read()
            except OSError:
                continue
            if b'tools/train.py' in cmdline and str(work).encode() in cmdline:
                found.append(int(pid))
        return found

    deadline = time.time() + 60
    while not children() and time.time() < deadline:
        time.sleep(0.2)
    assert children(), 'the run never started'
    suite.send_signal(signal.SIGTERM)
    assert suite.wait(timeout=30) != 0
    deadline = time.time() + 10
    while children() and time.time() < deadline:
        time.sleep(0.2)
    assert children() == []
    assert not osp.exists(tmp_path / 'results' / 'runs')  # no record


def test_strip_repo_root_leaves_relative_paths():
    root = osp.join(osp.sep, 'somewhere', 'repo')
    text = (f'load {root}/checkpoints/t.pth and {root}/work_dirs/a/x.log; '
            f'keep {root}-other/y and /elsewhere/z')
    assert strip_repo_root(text, root + os.sep) == (
        'load checkpoints/t.pth and work_dirs/a/x.log; '
        f'keep {root}-other/y and /elsewhere/z')
