import sys

from triplock.cli import main

sys.exit(main())
