from tui_dl.cli import main

raise SystemExit(main())
