#!/usr/bin/env python3
"""Grafana provisioning as code for Druppie. `python provision.py` builds the default environment;
`python provision.py --help` lists the verbs."""

import sys
from pathlib import Path

from druppie_grafana.cli import main

if __name__ == "__main__":
    sys.exit(main(default_root=Path(__file__).resolve().parent, prog="provision.py"))
