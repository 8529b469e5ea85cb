import signal
import sys

from localcloud.cli import main

# `localcloud status | head` ends quietly, as other command-line tools do.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
sys.exit(main())
