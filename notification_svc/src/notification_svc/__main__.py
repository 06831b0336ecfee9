from notification_svc.entrypoints.cli import main

main()
