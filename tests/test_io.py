import json

import pytest

from posereid.utils import atomic_save_json, atomic_write


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / 'result.json'
    target.write_text('old')
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write('half of the new')
            raise RuntimeError('killed mid-write')
    assert target.read_text() == 'old'
    assert [p.name for p in tmp_path.iterdir()] == ['result.json']


def test_atomic_save_json_creates_parents_and_round_trips(tmp_path):
    target = tmp_path / 'a' / 'b' / 'metrics.json'
    atomic_save_json({'rank1': 0.5}, target)
    assert json.loads(target.read_text()) == {'rank1': 0.5}


def test_atomic_write_gives_files_the_umask_permissions_not_mkstemps_0600(tmp_path):
    import os
    umask = os.umask(0)
    os.umask(umask)
    target = tmp_path / 'shared.txt'
    with atomic_write(target) as f:
        f.write('x')
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
