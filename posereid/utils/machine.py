"""The processor this process runs on, as results record it: figures do not travel between
processors."""
from __future__ import annotations

import platform


def cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo``; elsewhere what :mod:`platform` knows)."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
