from ticketing_svc.entrypoints.cli import main

main()
