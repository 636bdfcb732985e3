"""A process that asked for it gets SIGTERM when its parent is SIGKILLed."""
import os
import signal
import subprocess
import sys
import time

import pytest

CHILD = '''
import sys, time
sys.path.insert(0, {root!r})
from mmhkd.engine.parent_death import stop_with_parent
assert stop_with_parent()
print('ready', flush=True)
time.sleep(60)
'''
PARENT = '''
import subprocess, sys
child = subprocess.Popen([sys.executable, '-c', {child!r}],
                         stdout=subprocess.PIPE, text=True)
assert child.stdout.readline().strip() == 'ready'
print(child.pid, flush=True)
child.wait()
'''


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='prctl(PR_SET_PDEATHSIG) is Linux only')
def test_child_stops_when_its_parent_is_killed():
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    child = CHILD.format(root=root)
    parent = subprocess.Popen(
        [sys.executable, '-c', PARENT.format(child=child)],
        stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    for _ in range(100):
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            return  # gone (SIGTERM's default action)
        # a zombie re-parented to init is reaped soon; check its state
        try:
            with open(f'/proc/{child_pid}/stat') as f:
                if f.read().split()[2] == 'Z':
                    return
        except FileNotFoundError:
            return
        time.sleep(0.1)
    os.kill(child_pid, signal.SIGKILL)
    pytest.fail('the child outlived its killed parent by 10 s')
