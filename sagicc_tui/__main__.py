from sagicc_tui.cli import main

raise SystemExit(main())
