"""module_utils/files.write_file_atomically: the mode asked for whatever the umask, the old file kept whole when the
write fails, no temporary file left behind."""
from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils.files import write_file_atomically


def test_mode_whatever_the_umask_and_replaced_whole(tmp_path):
    path = str(tmp_path / 'report.json')
    old = os.umask(0o077)
    try:
        write_file_atomically(path, '{"a": 1}\n', mode=0o644)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert write_file_atomically(path, 'second') == path
    assert open(path).read() == 'second' and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(str(tmp_path)) == ['report.json']


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    path = str(tmp_path / 'inventory.json')
    write_file_atomically(path, 'old')
    with pytest.raises(UnicodeEncodeError):
        write_file_atomically(path, 'broken \udc80 surrogate')
    assert open(path).read() == 'old'
    assert os.listdir(str(tmp_path)) == ['inventory.json']


def test_bytes_are_written_as_they_are(tmp_path):
    path = str(tmp_path / 'inventory.bin')
    data = b'header\n\x00\xff\xfe binary'
    write_file_atomically(path, data)
    with open(path, 'rb') as f:
        assert f.read() == data
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
