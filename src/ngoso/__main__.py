from ngoso.cli import main

raise SystemExit(main())
