"""The live view in a real headless browser (Debian's chromium, which scripts/install.sh
installs): the page loaded during a run shows a tile per camera with its latest frame and the
identities the run knows; and the server's answers on their own."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from test_live import LIVE

from posereid.datasets.boxes import Boxes
from posereid.datasets.frames import open_frames
from posereid.tracking.live_run import run_live
from posereid.tracking.live_view import LiveView

CHROMIUM = shutil.which('chromium')


class Gated:
    """A camera's footage that holds back its frames from ``gate_at`` on until ``gate`` is
    set."""

    def __init__(self, source, gate_at, gate):
        self.source, self.gate_at, self.gate = source, gate_at, gate
        self.fps, self.num_frames, self.path = source.fps, source.num_frames, source.path
        self.declared_frames = source.declared_frames

    def frames(self, corrupt_as_none=False):
        for number, image in self.source.frames(corrupt_as_none):
            if number == self.gate_at:
                self.gate.wait(120)
            yield number, image


def test_the_server_answers_state_frames_and_the_page():
    view = LiveView()
    try:
        view.start(['door'])
        with pytest.raises(urllib.error.HTTPError, match='404'):
            urllib.request.urlopen(view.url + 'frame/door.jpg')          # no frame yet
        view.show_frame('door', 7, 1.4, np.zeros((40, 60, 3), np.uint8),
                        Boxes.create([7], [[5, 5, 10, 20]], ids=[3]))
        state = json.loads(urllib.request.urlopen(view.url + 'state.json').read())
        assert state['running'] and state['cameras'] == [
            {'name': 'door', 'frame': 7, 'time_s': 1.4, 'boxes': 1, 'problem': ''}]
        jpeg = urllib.request.urlopen(view.url + 'frame/door.jpg').read()
        assert jpeg[:2] == b'\xff\xd8'
        view.show_event({'event': 'stalled', 'camera': 'door', 'message': 'camera door: no '
                                                                           'frame for 5 s'})
        state = json.loads(urllib.request.urlopen(view.url + 'state.json').read())
        assert state['cameras'][0]['problem'] == 'camera door: no frame for 5 s'
        assert 'posereid live' in urllib.request.urlopen(view.url).read().decode()
    finally:
        view.close()


@pytest.mark.skipif(CHROMIUM is None, reason='chromium is not installed (scripts/install.sh '
                                             'installs it with apt-get when run as root)')
@pytest.mark.slow
def test_the_page_shows_each_camera_and_the_identities_during_a_run(tracked_video, fusion,
                                                                   tmp_path):
    camera = tracked_video / 'c1'
    gate = threading.Event()
    footage = {name: Gated(open_frames(camera.parent / name), 60, gate) for name in ('c1', 'c2')}
    view = LiveView()
    result = {}
    run = threading.Thread(target=lambda: result.update(run_live(
        fusion, {}, tmp_path / 'out', LIVE, view=view, footage=footage)))
    run.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = view.state()
            if all(c['frame'] == 59 for c in state['cameras']) and state['cameras']:
                break
            time.sleep(0.1)
        state = view.state()
        assert [c['frame'] for c in state['cameras']] == [59, 59] and state['identities']
        page = subprocess.run(
            [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu',
             '--disable-background-networking', '--virtual-time-budget=3000', '--dump-dom',
             view.url], capture_output=True, text=True, timeout=120)
        dom = page.stdout
        assert page.returncode == 0, page.stderr[-2000:]
        assert re.findall(r'class="tile" data-camera="(\w+)"', dom) == ['c1', 'c2']
        for name in ('c1', 'c2'):
            assert f'src="frame/{name}.jpg?n=59"' in dom
            assert f'<b>{name}</b> frame 59 at 7.' in dom
        shown = re.findall(r'<li class="identity" data-id="(\d+)" data-camera="(\w+)"', dom)
        assert sorted(int(i) for i, _ in shown) == sorted(
            who['global_id'] for who in state['identities'])
        assert '(running)' in dom
    finally:
        gate.set()
        run.join(120)
        view.close()
    assert result['cameras']['c1']['num_frames'] == footage['c1'].num_frames
    assert not view.running
