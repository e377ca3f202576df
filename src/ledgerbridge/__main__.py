from ledgerbridge.cli import main

main()
