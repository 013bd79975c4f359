import sys

from kpi_svc.rebuild.command import main

sys.exit(main())
