import sys

from graphlearn.cli import main

sys.exit(main())
