"""``python -m graphlearn`` = the ``graphlearn`` command; under ``torchrun``,
``torchrun --nproc_per_node N -m graphlearn embed INPUT -o OUTPUT`` runs the
distributed path of ``graphlearn embed``."""
import sys

from graphlearn.cli import main

sys.exit(main())
