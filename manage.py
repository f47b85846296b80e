#!/usr/bin/env python
from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synchrony.settings")
    if "SECRET_KEY" not in os.environ:
        from synchrony.lib.local_secret import local_secret_key

        os.environ["SECRET_KEY"] = local_secret_key()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
