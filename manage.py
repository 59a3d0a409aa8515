#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.local")
    from django.core.management import execute_from_command_line

    from msonet.startup import check_or_exit

    check_or_exit("manage")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
