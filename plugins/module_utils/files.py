# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a file whole or not at all, with its mode from the start (the files the controller side hands from one task
to the next, and the audit report)."""
from __future__ import annotations

import os
import tempfile


def write_file_atomically(path, text, mode=0o600):
    """Write ``text`` (str, or bytes written as they are) to ``path``: a reader sees the old file or the new one, never a part. The new file is made next to
    ``path`` by ``tempfile.mkstemp`` (O_EXCL, mode 0600), set to ``mode`` whatever the umask, then renamed over
    ``path``; on any failure it is removed. Returns ``path``; raises OSError."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        os.fchmod(fd, mode)
        if isinstance(text, bytes):
            with os.fdopen(fd, 'wb') as handle:
                handle.write(text)
        else:
            with os.fdopen(fd, 'w', encoding='utf-8') as handle:
                handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
