from event_svc.entrypoints.cli import main

main()
